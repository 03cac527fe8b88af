import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';

export enum IncidentStateValue {
  OPEN = 'open',
  UPDATED = 'updated',
  RESOLVED = 'resolved',
}
registerEnumType(IncidentStateValue, {
  name: 'IncidentState',
  description:
    'open: its first notice went out; updated: alerts joined or changed since; resolved: every alert resolved, or it went quiet past its window',
});

@ObjectType('CorrelationPolicy', {
  description: 'Which alerts form one incident: those matching every matcher that share the values of `labels` (flag gateway.grouping)',
})
export class CorrelationPolicyType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Policies are tried in ascending position; the first that takes an alert wins' })
  position!: number;

  @Field(() => [String], {
    description: 'Labels whose values the related alerts share, e.g. ["cluster", "node"]; an alert without one of them is not taken',
  })
  labels!: string[];

  @Field(() => [String], { description: 'Alertmanager-style matchers an alert must match to be taken' })
  matchers!: string[];

  @Field(() => Int, {
    description:
      'An open incident with no alert activity (new, repeated or resolved alerts) for this long is closed with a resolution notice',
  })
  windowSeconds!: number;

  @Field(() => Int, { description: 'At most one update notification per incident and channel this often' })
  updateIntervalSeconds!: number;

  @Field(() => Int, {
    description: 'A related alert firing this soon after the incident resolved reopens it (an update, not a new first notice)',
  })
  reopenGraceSeconds!: number;

  @Field(() => Int, {
    description:
      "All of an incident's alerts resolved: the resolution is told only once none has fired again for this long (0 = at once); an alert firing again meanwhile continues the incident without a message. For alerts that flap.",
  })
  resolveHoldSeconds!: number;

  @Field()
  enabled!: boolean;
}

@ObjectType('IncidentAlert', { description: 'One alert (by fingerprint) of an incident, as last seen' })
export class IncidentAlertType {
  @Field()
  fingerprint!: string;

  @Field()
  alertname!: string;

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => GraphQLJSONObject)
  annotations!: Record<string, string>;

  @Field({ description: 'firing or resolved' })
  status!: string;

  @Field()
  startsAt!: Date;

  @Field()
  firstSeenAt!: Date;

  @Field()
  lastSeenAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;

  @Field({ description: 'Whether a notification has told its current status' })
  notified!: boolean;
}

@ObjectType('IncidentNotification', {
  description: "An update or resolution sent for an incident on one channel (the first notice is the alert's own delivery)",
})
export class IncidentNotificationType {
  @Field(() => ID)
  id!: string;

  @Field({ description: 'update or resolved' })
  kind!: string;

  @Field(() => Int)
  sequence!: number;

  @Field(() => ID)
  channelId!: string;

  @Field(() => ID, { nullable: true })
  deliveryId!: string | null;

  @Field(() => String, { nullable: true, description: 'Why it was not handed to delivery (its channel was deleted)' })
  error!: string | null;

  @Field(() => Int, { description: 'Alerts that joined since the notification before' })
  added!: number;

  @Field(() => Int, { description: 'Alerts that resolved since the notification before' })
  resolved!: number;

  @Field(() => Int, { description: 'Alerts firing when it was sent' })
  firing!: number;

  @Field()
  createdAt!: Date;
}

@ObjectType('Incident', { description: 'Related alerts as one problem (flag gateway.grouping)' })
export class IncidentType {
  @Field(() => ID)
  id!: string;

  @Field()
  title!: string;

  @Field(() => IncidentStateValue)
  state!: IncidentStateValue;

  @Field()
  policyName!: string;

  @Field(() => GraphQLJSONObject, { description: "The correlating labels' values" })
  labels!: Record<string, string>;

  @Field(() => [ID], { description: 'Where its first notice went; updates and the resolution go there too' })
  channelIds!: string[];

  @Field()
  openedAt!: Date;

  @Field()
  lastAlertAt!: Date;

  @Field()
  updatedAt!: Date;

  @Field(() => Date, { nullable: true })
  resolvedAt!: Date | null;

  @Field(() => Boolean, { description: 'Something new happened that no notification has told yet' })
  updatePending!: boolean;

  @Field(() => Date, { nullable: true })
  acknowledgedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Who acknowledged it: a principal, or link:channel:<id> for an ack link' })
  acknowledgedBy!: string | null;

  @Field(() => Int)
  alertCount!: number;

  @Field(() => Int)
  firingCount!: number;

  @Field(() => Int, { description: 'Updates and resolutions sent (the first notice not counted)' })
  notificationCount!: number;
}

@ObjectType('IncidentPage')
export class IncidentPageType {
  @Field(() => [IncidentType])
  items!: IncidentType[];

  @Field(() => Int)
  total!: number;
}

@ObjectType('IncidentEvent', { description: 'An incident opened, took alerts, was notified, resolved or reopened' })
export class IncidentEventType {
  @Field(() => ID)
  incidentId!: string;

  @Field()
  title!: string;

  @Field({ description: 'opened, joined, reopened, notified or resolved' })
  change!: string;

  @Field(() => IncidentStateValue)
  state!: IncidentStateValue;

  @Field(() => Int, { description: 'Alerts this change concerns' })
  alerts!: number;

  @Field()
  at!: Date;
}
