import { Field, InputType, Int } from 'type-graphql';
import { MaintenanceScheduleValue } from './maintenance.type';

/** A maintenance window's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('MaintenanceWindowFields')
export abstract class MaintenanceWindowFields {
  @Field(() => [String], { nullable: true })
  matchers?: string[];

  @Field(() => [String], { nullable: true })
  clusters?: string[];

  @Field(() => Date, { nullable: true, description: 'once: the start; rrule: the first occurrence (DTSTART)' })
  startsAt?: Date | null;

  @Field(() => Date, { nullable: true, description: 'once: the end (at most 30 days after the start)' })
  endsAt?: Date | null;

  @Field(() => String, { nullable: true, description: 'cron: e.g. "0 2 * * SAT"; rrule: e.g. "FREQ=WEEKLY;BYDAY=SA"' })
  expression?: string | null;

  @Field(() => Int, { nullable: true, description: 'cron and rrule: how long each occurrence lasts, 60 s to 30 days' })
  durationSeconds?: number | null;

  @Field({ nullable: true, description: 'IANA time zone, default UTC' })
  timeZone?: string;

  @Field({ nullable: true })
  enabled?: boolean;

  @Field({ nullable: true, description: "Also set as silences on the covered clusters' Alertmanagers (default false)" })
  mirrorAsSilences?: boolean;
}

@InputType()
export class MaintenanceWindowInput extends MaintenanceWindowFields {
  @Field()
  name!: string;

  @Field(() => MaintenanceScheduleValue)
  schedule!: MaintenanceScheduleValue;
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class MaintenanceWindowUpdateInput extends MaintenanceWindowFields {
  @Field({ nullable: true })
  name?: string;

  @Field(() => MaintenanceScheduleValue, { nullable: true })
  schedule?: MaintenanceScheduleValue;
}
