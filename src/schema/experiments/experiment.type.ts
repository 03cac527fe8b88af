import { Field, Float, ID, Int, ObjectType } from 'type-graphql';

@ObjectType('RouteVariant', { description: 'What arm B changes of the route; what it leaves out stays as the route has it' })
export class RouteVariantType {
  @Field(() => [ID], { nullable: true })
  channelIds?: string[];

  @Field(() => Boolean, { nullable: true })
  perAlert?: boolean;

  @Field(() => Int, { nullable: true })
  groupWaitSeconds?: number | null;

  @Field(() => Int, { nullable: true })
  groupIntervalSeconds?: number | null;

  @Field(() => Int, { nullable: true })
  repeatIntervalSeconds?: number | null;
}

@ObjectType('RoutingExperiment', { description: 'An A/B test of a route (flag routing.learning)' })
export class RoutingExperimentType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => ID)
  routeId!: string;

  @Field(() => RouteVariantType)
  variant!: RouteVariantType;

  @Field(() => Int, { description: 'Share of alerts in arm B, percent; split by a stable hash of the alert labels' })
  splitPercent!: number;

  @Field({ description: 'running, promoted or stopped' })
  state!: string;

  @Field(() => String, { nullable: true })
  winner!: string | null;

  @Field()
  startedAt!: Date;

  @Field(() => Date, { nullable: true })
  endedAt!: Date | null;
}

@ObjectType('Estimate', { description: 'A mean (or share) with its 95 % confidence interval' })
export class EstimateType {
  @Field(() => Int)
  n!: number;

  @Field(() => Float, { nullable: true })
  mean!: number | null;

  @Field(() => Float, { nullable: true })
  low!: number | null;

  @Field(() => Float, { nullable: true })
  high!: number | null;
}

@ObjectType('ExperimentArm')
export class ExperimentArmType {
  @Field()
  arm!: string;

  @Field(() => Int, { description: 'Firing episodes (alert fingerprint and startsAt) notified in this arm' })
  episodes!: number;

  @Field(() => EstimateType)
  notificationsPerEpisode!: EstimateType;

  @Field(() => EstimateType)
  timeToAckSeconds!: EstimateType;

  @Field(() => EstimateType)
  timeToResolveSeconds!: EstimateType;

  @Field(() => EstimateType, { description: 'Share of rated analyses marked not useful' })
  negativeFeedback!: EstimateType;
}

@ObjectType('ExperimentReport')
export class ExperimentReportType {
  @Field(() => ID)
  experimentId!: string;

  @Field()
  from!: Date;

  @Field()
  to!: Date;

  @Field(() => [ExperimentArmType])
  arms!: ExperimentArmType[];

  @Field(() => String, {
    nullable: true,
    description: 'A or B when one arm is clearly better (faster acknowledgement, else fewer notifications); null when not yet',
  })
  winner!: string | null;

  @Field()
  reason!: string;
}
