import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageOf } from '../common/list.args';
import { GraphQLJSONObject } from 'graphql-scalars';

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

@ObjectType('RoutePage')
export class RoutePageType extends PageOf(RouteType) {}
