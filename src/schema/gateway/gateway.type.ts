import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ListArgs, PageOf } from '../common/list.args';
import { GraphQLJSONObject } from 'graphql-scalars';
import { PageArgs } from '../common/page.args';

@ObjectType('FollowUpRule', { description: "A route's follow-up on analysis output (flag routing.smart)" })
export class FollowUpRuleType {
  @Field(() => String, { nullable: true, description: 'Matches an analysis suggesting this team (lower case)' })
  team!: string | null;

  @Field(() => String, { nullable: true, description: 'Matches an analysis of this category (lower case)' })
  category!: string | null;

  @Field(() => Float, { description: 'The least confidence (0–1) the analysis must have' })
  minConfidence!: number;

  @Field(() => [ID])
  channelIds!: string[];
}

@InputType()
export class FollowUpRuleInput {
  @Field(() => String, { nullable: true, description: 'A team name; the analysis is asked to suggest one of the teams routes name' })
  team?: string | null;

  @Field(() => String, {
    nullable: true,
    description: 'A category such as database, network, disk; a team or a category (or both) is needed',
  })
  category?: string | null;

  @Field(() => Float, { nullable: true, description: '0 to 1 (default 0.7)' })
  minConfidence?: number;

  @Field(() => [ID], { description: '1 to 20 channels; those the route already sends to are skipped' })
  channelIds!: string[];
}

@ObjectType('Route', { description: 'A static routing rule: alerts matching every matcher go to the channels' })
export class RouteType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => Int, { description: 'Routes are tried in ascending position' })
  position!: number;

  @Field(() => [String], { description: 'Alertmanager-style matchers, e.g. severity="critical", team=~"db|infra"' })
  matchers!: string[];

  @Field(() => [ID])
  channelIds!: string[];

  @Field({ description: 'Keep trying later routes after this one matched' })
  continueMatching!: boolean;

  @Field({ description: 'One message per alert instead of one per webhook group' })
  perAlert!: boolean;

  @Field({ description: 'Used when no other route matches' })
  isDefault!: boolean;

  @Field()
  enabled!: boolean;

  @Field(() => ID, { nullable: true, description: 'Analyse what this route delivers with this provider (flag analysis.enabled)' })
  analysisProviderId!: string | null;

  @Field(() => [FollowUpRuleType], {
    description: 'Smart routing (flag routing.smart): who else to tell once the analysis names a team or category',
  })
  followUps!: FollowUpRuleType[];

  @Field(() => Int, { nullable: true, description: 'Route window (flag gateway.advanced-convergence); null when the route has none' })
  groupWaitSeconds!: number | null;

  @Field(() => Int, { nullable: true })
  groupIntervalSeconds!: number | null;

  @Field(() => Int, { nullable: true })
  repeatIntervalSeconds!: number | null;
}

/** A route's fields but its name, all optional (a base of the two inputs below; not in the schema itself). */
@InputType('RouteFields')
export abstract class RouteFields {
  @Field(() => [String], { nullable: true })
  matchers?: string[];

  @Field(() => [ID], { nullable: true })
  channelIds?: string[];

  @Field({ nullable: true })
  continueMatching?: boolean;

  @Field({ nullable: true, description: 'One message per alert instead of one per webhook group (default false)' })
  perAlert?: boolean;

  @Field({ nullable: true })
  isDefault?: boolean;

  @Field({ nullable: true })
  enabled?: boolean;

  @Field(() => Int, { nullable: true })
  position?: number;

  @Field(() => ID, { nullable: true })
  analysisProviderId?: string | null;

  @Field(() => [FollowUpRuleInput], {
    nullable: true,
    description: 'Smart routing follow-ups (flag routing.smart); need analysisProviderId',
  })
  followUps?: FollowUpRuleInput[];

  @Field(() => Int, {
    nullable: true,
    description:
      'Route window (flag gateway.advanced-convergence): how long the first alert of an idle route waits for others to go with it, 0 to 3600 s (default 0: at once)',
  })
  groupWaitSeconds?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Route window: at most one message per channel this often; alerts in between go together at the next tick, 1 to 86400 s (default 300)',
  })
  groupIntervalSeconds?: number | null;

  @Field(() => Int, {
    nullable: true,
    description:
      'Route window: a firing alert already told is told again only after this long, 60 s to 7 days, at least the group interval (default 14400)',
  })
  repeatIntervalSeconds?: number | null;
}

@InputType()
export class RouteInput extends RouteFields {
  @Field()
  name!: string;
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class RouteUpdateInput extends RouteFields {
  @Field({ nullable: true })
  name?: string;
}

/** The fields that identify an alert, shared by records and live events. */
@ObjectType()
export abstract class AlertIdentityType {
  @Field()
  fingerprint!: string;

  @Field({ description: 'firing or resolved' })
  status!: string;

  @Field()
  alertname!: string;

  @Field(() => String, { nullable: true })
  severity!: string | null;

  @Field(() => String, { nullable: true })
  cluster!: string | null;
}

@ObjectType('AlertRecord', { description: 'The processing record of one alert in one webhook receipt' })
export class AlertRecordType extends AlertIdentityType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  receiptId!: string;

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => GraphQLJSONObject)
  annotations!: Record<string, string>;

  @Field()
  startsAt!: Date;

  @Field(() => Date, { nullable: true })
  endsAt!: Date | null;

  @Field()
  receivedAt!: Date;

  @Field(() => Date, { nullable: true })
  routedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  firstDeliveredAt!: Date | null;

  @Field(() => String, { nullable: true })
  generatorUrl!: string | null;

  @Field({
    description:
      "received, routed, delivered, partially_delivered, failed, unrouted, duplicate (an HA copy), converged (a repeat folded), grouped (part of an incident), inhibited, flapping, suppressed (maintenance) or batched (waiting for its route window's next message)",
  })
  state!: string;

  @Field(() => [String])
  routeNames!: string[];

  @Field(() => [ID])
  deliveryIds!: string[];

  @Field(() => ID, { nullable: true, description: 'The incident this alert belongs to (flag gateway.grouping)' })
  incidentId!: string | null;

  @Field(() => String, {
    nullable: true,
    description:
      'Why it was held back: the copy it duplicates, the incident it joined, the inhibition rule and source alert, flapping, the maintenance window …',
  })
  holdReason!: string | null;
}

@ObjectType('AlertRecordPage')
export class AlertRecordPageType {
  @Field(() => [AlertRecordType])
  items!: AlertRecordType[];

  @Field(() => Int)
  total!: number;
}

@ArgsType()
export class AlertRecordsArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  state?: string | null;

  @Field(() => String, { nullable: true })
  fingerprint?: string | null;

  @Field(() => [String], { nullable: true, description: 'Label equalities, each name=value (all must hold)' })
  labels?: string[] | null;
}

@ObjectType('GatewayEvent', { description: 'What happened to an alert on its way through the gateway' })
export class GatewayEventType extends AlertIdentityType {
  @Field({
    description:
      'received, routed, delivered, resolved, failed, unrouted, duplicate, converged, grouped (part of an incident, told in its next update), inhibited, flapping, suppressed or batched',
  })
  type!: string;

  @Field(() => ID)
  recordId!: string;

  @Field(() => ID)
  receiptId!: string;

  @Field()
  at!: Date;

  @Field(() => String, { nullable: true })
  detail!: string | null;
}

/** Filters shared by the record list and the live stream. */
@ArgsType()
export class AlertFilterArgs {
  @Field(() => String, { nullable: true })
  cluster?: string | null;

  @Field(() => String, { nullable: true })
  severity?: string | null;

  @Field(() => String, { nullable: true })
  alertname?: string | null;

  @Field(() => String, { nullable: true, description: 'firing or resolved' })
  status?: string | null;
}

@ObjectType('GatewayLoadEvent', {
  description: 'The gateway started or stopped refusing webhooks (503 with Retry-After) because too many alerts wait for their first send',
})
export class GatewayLoadEventType {
  @Field()
  overloaded!: boolean;

  @Field(() => Int, { description: 'Alerts accepted and not yet through their first send, on the replica that changed state' })
  inFlightAlerts!: number;

  @Field(() => Int, { description: 'GATEWAY_MAX_IN_FLIGHT_ALERTS of that replica' })
  limit!: number;

  @Field(() => Int, { description: 'Alerts refused during this overload: so far when it starts, in all when it ends' })
  refusedAlerts!: number;

  @Field()
  at!: Date;
}

export enum RouteSortFieldName {
  POSITION = 'position',
  NAME = 'name',
}
registerEnumType(RouteSortFieldName, { name: 'RouteSortField' });

@ArgsType()
export class RoutesArgs extends ListArgs {
  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => ID, { nullable: true, description: 'Routes that deliver to this channel' })
  channelId?: string | null;

  @Field(() => RouteSortFieldName, { defaultValue: RouteSortFieldName.POSITION, description: 'By default the order routes are tried in' })
  sortBy!: RouteSortFieldName;
}

@ObjectType('RoutePage')
export class RoutePageType extends PageOf(RouteType) {}
