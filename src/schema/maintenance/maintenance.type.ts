import { Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';

export enum MaintenanceScheduleValue {
  ONCE = 'once',
  CRON = 'cron',
  RRULE = 'rrule',
}
registerEnumType(MaintenanceScheduleValue, {
  name: 'MaintenanceSchedule',
  description:
    'once: from startsAt to endsAt; cron: starts given by a cron expression; rrule: starts given by an RFC 5545 RRULE from startsAt (each recurring occurrence lasts durationSeconds)',
});

@ObjectType('MaintenanceWindow', {
  description:
    'While open, alerts it covers are recorded as suppressed; what still fires when it closes is sent then (flag gateway.maintenance)',
})
export class MaintenanceWindowType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => [String], { description: 'Alertmanager-style matchers the alerts must match' })
  matchers!: string[];

  @Field(() => [String], { description: "Clusters (the alerts' cluster label) it covers; empty: every cluster" })
  clusters!: string[];

  @Field(() => MaintenanceScheduleValue)
  schedule!: MaintenanceScheduleValue;

  @Field(() => Date, { nullable: true })
  startsAt!: Date | null;

  @Field(() => Date, { nullable: true })
  endsAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'The cron expression or RRULE' })
  expression!: string | null;

  @Field(() => Int, { nullable: true })
  durationSeconds!: number | null;

  @Field({ description: 'IANA time zone the schedule is read in' })
  timeZone!: string;

  @Field()
  enabled!: boolean;

  @Field({
    description: "Also set as silences on the covered clusters' Alertmanagers while an occurrence is open (from up to an hour before it)",
  })
  mirrorAsSilences!: boolean;

  @Field(() => Date, { nullable: true, description: 'When the occurrence open now ends; null when closed' })
  openUntil!: Date | null;

  @Field(() => Date, { nullable: true, description: 'When the next occurrence starts' })
  nextStart!: Date | null;
}

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
