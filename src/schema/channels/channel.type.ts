import { ArgsType, Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ListArgs, PageOf } from '../common/list.args';
import { GraphQLJSONObject } from 'graphql-scalars';
import { RoleName } from '../common/enums';

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

  @Field(() => RoleName, { nullable: true, description: 'Role needed to change channels here; inherited from the parent when null (operator at the top)' })
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

@ArgsType()
export class ChannelGroupsArgs extends ListArgs {
  @Field(() => ID, { nullable: true, description: 'Children of this group' })
  parentId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only groups at the top (true) or only nested ones (false)' })
  topLevel?: boolean | null;

  @Field(() => ChannelGroupSortFieldName, { defaultValue: ChannelGroupSortFieldName.NAME })
  sortBy!: ChannelGroupSortFieldName;
}

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
