import { Field, Float, ID, InputType, Int, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { RoleName } from '../common/enums';

export enum ChannelSortFieldName {
  NAME = 'name',
  CREATED_AT = 'createdAt',
  TYPE = 'type',
}
registerEnumType(ChannelSortFieldName, { name: 'ChannelSortField' });

@InputType()
export class ChannelTemplatesInput {
  @Field(() => String, { nullable: true })
  title?: string;

  @Field(() => String, { nullable: true })
  body?: string;

  @Field(() => String, { nullable: true })
  html?: string;
}

@InputType({ description: 'At most perMinute messages in any 60 seconds: burst at once, the rest refilled over the minute' })
export class RateLimitInput {
  @Field(() => Int)
  perMinute!: number;

  @Field(() => Int, { nullable: true, description: 'Below perMinute; half of it when omitted' })
  burst?: number;
}

@InputType()
export class ChannelSloInput {
  @Field(() => Float, { description: 'Share of attempts that must succeed, e.g. 0.99' })
  successRate!: number;

  @Field(() => Int, { nullable: true, description: 'The p95 latency of attempts must stay at or below this' })
  p95LatencyMs?: number;

  @Field(() => Int, { nullable: true, description: 'Window the SLO is measured over; 60 when omitted' })
  windowMinutes?: number;

  @Field(() => Int, { nullable: true, description: 'Attempts needed in the window before the SLO is judged; 10 when omitted' })
  minAttempts?: number;
}

@InputType({ description: 'How messages reach the channel beyond its protocol; omitted fields take their defaults' })
export class ChannelDeliveryPolicyInput {
  @Field(() => RateLimitInput, { nullable: true, description: "Overrides the type's documented robot limit (ChannelKind.robotLimit)" })
  rateLimit?: RateLimitInput | null;

  @Field(() => [ID], {
    nullable: true,
    description: 'Channels of the same type whose robots share the sends (round robin with health), up to 10',
  })
  pool?: string[];

  @Field(() => ID, { nullable: true, description: 'Where a message goes when this channel cannot deliver it' })
  backupChannelId?: string | null;

  @Field(() => Int, { nullable: true, description: 'Hand over to the backup after this many failed attempts (default 3)' })
  failoverAfterAttempts?: number;

  @Field(() => Int, { nullable: true, description: 'Hand over once a message has waited this long undelivered (default 300)' })
  failoverAfterSeconds?: number;

  @Field({
    nullable: true,
    description: 'Hand over at once while the channel is down (default true); one message every 30 s still tries it',
  })
  failoverWhenDown?: boolean;

  @Field(() => ChannelSloInput, { nullable: true })
  slo?: ChannelSloInput | null;

  @Field(() => Int, {
    nullable: true,
    description: 'Probe the channel without posting this often (types with ChannelKind.canProbe); off when null',
  })
  probeIntervalSeconds?: number | null;
}

@InputType()
export class CreateChannelInput {
  @Field()
  name!: string;

  @Field({ description: 'One of channelTypes.type' })
  type!: string;

  @Field(() => GraphQLJSONObject, { description: 'Validated against channelTypes.configSchema' })
  config!: Record<string, unknown>;

  @Field(() => ID, { nullable: true })
  groupId?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[];

  @Field({ nullable: true })
  enabled?: boolean;

  @Field(() => ChannelTemplatesInput, { nullable: true })
  templates?: ChannelTemplatesInput | null;

  @Field(() => ChannelDeliveryPolicyInput, { nullable: true })
  deliveryPolicy?: ChannelDeliveryPolicyInput | null;
}

@InputType({ description: 'Only given fields change. In config, omitted fields keep their value (secrets included) and null clears one' })
export class UpdateChannelInput {
  @Field({ nullable: true })
  name?: string;

  @Field(() => GraphQLJSONObject, { nullable: true })
  config?: Record<string, unknown>;

  @Field(() => ID, { nullable: true })
  groupId?: string | null;

  @Field(() => [String], { nullable: true })
  tags?: string[];

  @Field({ nullable: true })
  enabled?: boolean;

  @Field(() => ChannelTemplatesInput, { nullable: true, description: 'Replaces the custom templates; null returns to the defaults' })
  templates?: ChannelTemplatesInput | null;

  @Field(() => ChannelDeliveryPolicyInput, { nullable: true, description: 'Replaces the policy as a whole; null returns to the defaults' })
  deliveryPolicy?: ChannelDeliveryPolicyInput | null;
}

@InputType()
export class CreateChannelGroupInput {
  @Field()
  name!: string;

  @Field(() => ID, { nullable: true })
  parentId?: string | null;

  @Field(() => RoleName, { nullable: true })
  manageRole?: RoleName | null;
}
