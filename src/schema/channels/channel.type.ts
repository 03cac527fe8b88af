import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageOf } from '../common/list.args';
import { GraphQLJSONObject } from 'graphql-scalars';
import { RoleName } from '../common/enums';
import type { ChannelEntity } from '../../entities/channels/channel.entity';

export enum ChannelHealthStatusName {
  HEALTHY = 'healthy',
  DEGRADED = 'degraded',
  DOWN = 'down',
  UNKNOWN = 'unknown',
}
registerEnumType(ChannelHealthStatusName, {
  name: 'ChannelHealthStatus',
  description: 'healthy ≥ 95% success; degraded ≥ 50%; down below that or after 3 failures in a row; unknown without attempts',
});

export enum ChannelSloStatusName {
  MET = 'met',
  BREACHED = 'breached',
  INSUFFICIENT_DATA = 'insufficient_data',
}
registerEnumType(ChannelSloStatusName, {
  name: 'ChannelSloStatus',
  description: 'insufficient_data: fewer attempts in the window than the SLO needs to judge',
});

@ObjectType('RateLimit', { description: 'At most perMinute messages in any 60 seconds: burst at once, the rest refilled over the minute' })
export class RateLimitType {
  @Field(() => Int)
  perMinute!: number;

  @Field(() => Int)
  burst!: number;
}

@ObjectType('ChannelSloPolicy')
export class ChannelSloPolicyType {
  @Field(() => Float)
  successRate!: number;

  @Field(() => Int, { nullable: true })
  p95LatencyMs!: number | null;

  @Field(() => Int)
  windowMinutes!: number;

  @Field(() => Int)
  minAttempts!: number;
}

@ObjectType('ChannelDeliveryPolicy', { description: 'Rate limit, robot pool, failover, SLO and probe schedule of a channel' })
export class ChannelDeliveryPolicyType {
  @Field(() => RateLimitType, { nullable: true, description: "The channel's own limit, when it overrides its type's" })
  rateLimit!: RateLimitType | null;

  @Field(() => RateLimitType, {
    nullable: true,
    description: "The limit in force per robot: the channel's own or its type's; null when sends are not limited",
  })
  effectiveRateLimit!: RateLimitType | null;

  @Field(() => [ID], { description: 'Pool members: channels of the same type whose robots share the sends' })
  pool!: string[];

  @Field(() => ID, { nullable: true })
  backupChannelId!: string | null;

  @Field(() => Int)
  failoverAfterAttempts!: number;

  @Field(() => Int)
  failoverAfterSeconds!: number;

  @Field()
  failoverWhenDown!: boolean;

  @Field(() => ChannelSloPolicyType, { nullable: true })
  slo!: ChannelSloPolicyType | null;

  @Field(() => Int, { nullable: true })
  probeIntervalSeconds!: number | null;
}

@ObjectType('ChannelSlo', { description: 'A channel measured against its SLO over the SLO window' })
export class ChannelSloType {
  @Field(() => ChannelSloStatusName)
  status!: ChannelSloStatusName;

  @Field(() => ChannelSloPolicyType, { description: 'The SLO as configured' })
  target!: ChannelSloPolicyType;

  @Field(() => Int, { description: 'Attempts in the SLO window' })
  attempts!: number;

  @Field(() => Float, { nullable: true })
  successRate!: number | null;

  @Field(() => Float, { nullable: true })
  p95LatencyMs!: number | null;

  @Field(() => Date, {
    nullable: true,
    description: 'Since when the SLO is breached, as the SLO watch recorded it (a channelSlo event was sent then)',
  })
  breachedSince!: Date | null;
}

@ObjectType('ChannelProbeResult', { description: 'What the last scheduled probe found' })
export class ChannelProbeResultType {
  @Field()
  ok!: boolean;

  @Field(() => Float)
  latencyMs!: number;

  @Field()
  detail!: string;

  @Field()
  at!: Date;
}

@ObjectType('ChannelTemplates', { description: 'Liquid templates; absent fields use the channel type default' })
export class ChannelTemplatesType {
  @Field(() => String, { nullable: true })
  title?: string | null;

  @Field(() => String, { nullable: true })
  body?: string | null;

  @Field(() => String, { nullable: true, description: 'Email only' })
  html?: string | null;
}

@ObjectType('ChannelKind', { description: 'A kind of channel AlertAgent can deliver to, with the form to configure it' })
export class ChannelKindType {
  @Field({ description: 'Value for Channel.type, e.g. dingtalk' })
  type!: string;

  @Field()
  displayName!: string;

  @Field()
  description!: string;

  @Field(() => [String], { description: 'Config fields stored encrypted and always masked in answers' })
  secretFields!: string[];

  @Field({ description: 'Whether probeChannel can check this type without posting a message' })
  canProbe!: boolean;

  @Field(() => RateLimitType, {
    nullable: true,
    description: 'The documented send limit per robot, respected before sending; null when the peer documents none',
  })
  robotLimit!: RateLimitType | null;

  @Field({ description: "Whether messages waiting for a busy robot are merged into one (within the type's size budget)" })
  mergesWhenThrottled!: boolean;

  @Field(() => GraphQLJSONObject, { description: 'JSON Schema (draft 2020-12) of the config, for drawing a form' })
  configSchema!: Record<string, unknown>;

  @Field(() => ChannelTemplatesType)
  defaultTemplates!: ChannelTemplatesType;
}

@ObjectType('ChannelGroup', { description: 'A folder of channels; groups nest and carry who may change their channels' })
export class ChannelGroupType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => ID, { nullable: true })
  parentId!: string | null;

  @Field(() => RoleName, {
    nullable: true,
    description: 'Role needed to change channels here; inherited from the parent when null (operator at the top)',
  })
  manageRole!: RoleName | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('ChannelHealth')
export class ChannelHealthType {
  @Field(() => ChannelHealthStatusName)
  status!: ChannelHealthStatusName;

  @Field(() => Int)
  windowMinutes!: number;

  @Field(() => Int, { description: 'Attempts in the window' })
  attempts!: number;

  @Field(() => Float, { nullable: true, description: '0 to 1' })
  successRate!: number | null;

  @Field(() => Float, { nullable: true })
  p50LatencyMs!: number | null;

  @Field(() => Float, { nullable: true })
  p95LatencyMs!: number | null;

  @Field(() => String, { nullable: true })
  lastError!: string | null;

  @Field(() => Date, { nullable: true })
  lastErrorAt!: Date | null;

  @Field(() => ChannelProbeResultType, {
    nullable: true,
    description: 'The last scheduled probe (deliveryPolicy.probeIntervalSeconds); a recent failed one makes the channel down',
  })
  lastProbe!: ChannelProbeResultType | null;

  @Field(() => ChannelSloType, { nullable: true, description: 'Null when the channel has no SLO' })
  slo!: ChannelSloType | null;
}

@ObjectType('Channel', { description: 'A destination for alerts' })
export class ChannelType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field()
  type!: string;

  @Field(() => GraphQLJSONObject, { description: 'Settings; secret fields are masked (never returned in clear)' })
  config!: Record<string, unknown>;

  @Field(() => [String], { description: 'Secret fields that hold a value' })
  secretFieldsSet!: string[];

  @Field(() => ChannelGroupType, { nullable: true })
  group!: ChannelGroupType | null;

  @Field(() => [String])
  tags!: string[];

  @Field()
  enabled!: boolean;

  @Field(() => ChannelTemplatesType, { nullable: true, description: 'Custom templates, when set' })
  templates!: ChannelTemplatesType | null;

  @Field(() => ChannelDeliveryPolicyType)
  deliveryPolicy!: ChannelDeliveryPolicyType;

  /** The stored channel, for field resolvers (not part of the schema). */
  entity?: ChannelEntity;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType('ChannelPage')
export class ChannelPageType {
  @Field(() => [ChannelType])
  items!: ChannelType[];

  @Field(() => Int)
  total!: number;
}

export enum ChannelGroupSortFieldName {
  NAME = 'name',
  CREATED_AT = 'createdAt',
}
registerEnumType(ChannelGroupSortFieldName, { name: 'ChannelGroupSortField' });

@ObjectType('ChannelGroupPage')
export class ChannelGroupPageType extends PageOf(ChannelGroupType) {}

@ObjectType('ChannelProbe', { description: 'What a check of a channel found, without posting a message' })
export class ChannelProbeType {
  @Field({ description: 'Reachable, with credentials the peer accepted' })
  ok!: boolean;

  @Field(() => Float)
  latencyMs!: number;

  @Field({ description: 'What the peer said, or why the check failed' })
  detail!: string;
}

@ObjectType('ChannelSloEvent', { description: 'A channel started (breached) or stopped missing its SLO' })
export class ChannelSloEventType {
  @Field(() => ID)
  channelId!: string;

  @Field()
  channelName!: string;

  @Field()
  breached!: boolean;

  @Field(() => Float, { nullable: true })
  successRate!: number | null;

  @Field(() => Float, { nullable: true })
  p95LatencyMs!: number | null;

  @Field(() => Int)
  attempts!: number;

  @Field(() => ChannelSloPolicyType)
  target!: ChannelSloPolicyType;

  @Field()
  at!: Date;
}
