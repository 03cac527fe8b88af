import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { CreateChannelGroupInput } from '../schema/channels/channel.input';
import { ChannelGroupPageType, ChannelGroupType } from '../schema/channels/channel.type';
import { ChannelGroupsArgs } from '../schema/channels/channel.args';
import { byField, pageOf } from '../schema/common/list.args';
import type { ChannelService } from '../services/channels/channel.service';
import { toGroupType } from './mappers/channel.mapper';

/** Channel groups: the folders that scope who sees and manages which channels. */
@Resolver(() => ChannelGroupType)
export class ChannelGroupResolver {
  constructor(private readonly channelService: ChannelService) {}

  @Authorized('channels:read')
  @Query(() => ChannelGroupPageType, { description: 'Channel groups you can see, filtered, sorted and paginated' })
  async channelGroups(@Args() args: ChannelGroupsArgs, @Ctx() context: GraphQLContext): Promise<ChannelGroupPageType> {
    const keep = (g: ChannelGroupType) =>
      (!args.parentId || g.parentId === args.parentId) && (args.topLevel == null || (g.parentId === null) === args.topLevel);
    const groups = (await this.channelService.listGroups(context.principal)).map(toGroupType);
    return pageOf(groups, args, (g) => g.name, byField(args.sortBy), keep);
  }

  @Authorized('channels:read')
  @Mutation(() => ChannelGroupType)
  async createChannelGroup(@Arg('input') input: CreateChannelGroupInput, @Ctx() context: GraphQLContext): Promise<ChannelGroupType> {
    return toGroupType(await this.channelService.createGroup(input, actorFrom(context)));
  }

  @Authorized('channels:read')
  @Mutation(() => Boolean)
  async deleteChannelGroup(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.channelService.deleteGroup(id, actorFrom(context));
    return true;
  }
}
