import { ArgsType, Field, ID, InputType, registerEnumType } from 'type-graphql';
import { GraphQLJSONObject } from 'graphql-scalars';
import { PageArgs } from '../common/page.args';
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

@ArgsType()
export class ChannelsArgs extends PageArgs {
  @Field(() => String, { nullable: true })
  type?: string | null;

  @Field(() => ID, { nullable: true })
  groupId?: string | null;

  @Field(() => String, { nullable: true })
  tag?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => String, { nullable: true, description: 'Substring of the name, any case' })
  search?: string | null;

  @Field(() => ChannelSortFieldName, { defaultValue: ChannelSortFieldName.NAME })
  sortBy!: ChannelSortFieldName;
}
