import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';

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
