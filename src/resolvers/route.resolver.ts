import { Arg, Args, Authorized, Ctx, ID, Mutation, Query, Resolver } from 'type-graphql';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { byField, pageOf } from '../schema/common/list.args';
import { RouteInput, RouteUpdateInput } from '../schema/gateway/gateway.input';
import { RoutePageType, RouteType } from '../schema/gateway/gateway.type';
import { RoutesArgs } from '../schema/gateway/gateway.args';
import type { ChannelService } from '../services/channels/channel.service';
import type { RouteService } from '../services/gateway/route.service';
import { toRouteType } from './mappers/gateway.mapper';

/** Routes: which alerts go to which channels, tried in order. */
@Resolver(() => RouteType)
export class RouteResolver {
  constructor(
    private readonly routeService: RouteService,
    private readonly channels: ChannelService,
  ) {}

  @Authorized('routes:read')
  @Query(() => RoutePageType, { description: 'Routes, by default in the order they are tried; filtered and paginated' })
  async routes(@Args() args: RoutesArgs): Promise<RoutePageType> {
    const keep = (r: RouteType) =>
      (args.enabled == null || r.enabled === args.enabled) && (!args.channelId || r.channelIds.includes(args.channelId));
    return pageOf((await this.routeService.list()).map(toRouteType), args, (r) => r.name, byField(args.sortBy), keep);
  }

  @Authorized('routes:write')
  @Mutation(() => RouteType, { description: 'Applies at once on every replica' })
  async createRoute(@Arg('input') input: RouteInput, @Ctx() context: GraphQLContext): Promise<RouteType> {
    await this.channels.assertVisible(input.channelIds ?? [], actorFrom(context).principal);
    return toRouteType(await this.routeService.create({ ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => RouteType)
  async updateRoute(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: RouteUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<RouteType> {
    await this.channels.assertVisible(input.channelIds ?? [], actorFrom(context).principal);
    return toRouteType(await this.routeService.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('routes:write')
  @Mutation(() => Boolean)
  async deleteRoute(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.routeService.remove(id, actorFrom(context));
    return true;
  }
}
