import { ListArgs } from '../common/list.args';
import { ChannelGroupSortFieldName } from './channel.type';
import { ArgsType, Field, ID } from 'type-graphql';
import { PageArgs } from '../common/page.args';
import { ChannelSortFieldName } from './channel.input';

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

@ArgsType()
export class ChannelGroupsArgs extends ListArgs {
  @Field(() => ID, { nullable: true, description: 'Children of this group' })
  parentId?: string | null;

  @Field(() => Boolean, { nullable: true, description: 'Only groups at the top (true) or only nested ones (false)' })
  topLevel?: boolean | null;

  @Field(() => ChannelGroupSortFieldName, { defaultValue: ChannelGroupSortFieldName.NAME })
  sortBy!: ChannelGroupSortFieldName;
}
