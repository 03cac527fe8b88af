import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, ID, Info, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { z } from 'zod';
import { BadUserInputError, NotFoundError } from '../errors';
import { selectsField } from '../graphql/selection';
import type { AlertRecordRepository } from '../services/gateway/alert-record.repository';
import type { GatewayRouteEntity } from '../entities/gateway/gateway-route.entity';
import { actorFrom, clusterVisible, type GraphQLContext } from '../graphql/context';
import type { ChannelService } from '../services/channels/channel.service';
import { byField, pageOf } from '../schema/common/list.args';
import { toPageRequest } from '../schema/common/page.args';
import {
  AlertRecordPageType,
  AlertRecordType,
  AlertRecordsArgs,
  AlertFilterArgs,
  GatewayEventType,
  GatewayLoadEventType,
  RouteInput,
  RouteUpdateInput,
  RouteType,
  RoutePageType,
  RoutesArgs,
} from '../schema/gateway/gateway.type';
import { formatMatcher, type RouteService } from '../services/gateway/route.service';
import type { GatewayEvent, GatewayLoadEvent } from '../services/pubsub/event-map';

function toRouteType(route: GatewayRouteEntity): RouteType {
  return {
    id: route.id,
    name: route.name,
    position: route.position,
    matchers: route.matchers.map(formatMatcher),
    channelIds: route.channelIds,
    continueMatching: route.continueMatching,
    perAlert: route.perAlert,
    isDefault: route.isDefault,
    enabled: route.enabled,
    analysisProviderId: route.analysisProviderId ?? null,
    followUps: route.followUps,
    groupWaitSeconds: route.groupWaitSeconds ?? null,
    groupIntervalSeconds: route.groupIntervalSeconds ?? null,
    repeatIntervalSeconds: route.repeatIntervalSeconds ?? null,
  };
}

/** `name=value` filters as a map; refused when one has no `=` or an empty name. */
function labelEqualities(list: string[] | null | undefined): Record<string, string> | undefined {
  if (!list?.length) return undefined;
  return Object.fromEntries(
    list.map((entry, index) => {
      const at = entry.indexOf('=');
      if (at < 1) throw BadUserInputError.forField(`labels[${index}]`, 'expected name=value');
      return [
        entry.slice(0, at).trim(),
        entry
          .slice(at + 1)
          .trim()
          .replace(/^"(.*)"$/, '$1'),
      ];
    }),
  );
}

function recordIdOf(id: string): string {
  if (!z.uuid().safeParse(id).success) throw BadUserInputError.forField('id', 'expected an alert record id');
  return id;
}

/** Routes, alert records and the live gateway event stream. */
@Resolver()
export class GatewayResolver {
  constructor(
    private readonly routeService: RouteService,
    private readonly records: AlertRecordRepository,
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

  @Authorized('alerts:read')
  @Query(() => AlertRecordPageType, { description: 'Processing records, newest first by default' })
  async alertRecords(
    @Args() args: AlertRecordsArgs,
    @Args() filter: AlertFilterArgs,
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<AlertRecordPageType> {
    // A caller scoped to some clusters sees their alerts only.
    const visible = await context.visibleClusters();
    const query = {
      ...filter,
      state: args.state,
      fingerprint: args.fingerprint,
      labels: labelEqualities(args.labels),
      clusters: visible ? [...visible] : undefined,
    };
    return this.records.findPage(query, toPageRequest(args), { total: selectsField(info, 'total') });
  }

  @Authorized('alerts:read')
  @Query(() => AlertRecordType, { description: 'One processing record' })
  async alertRecord(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<AlertRecordType> {
    const visible = await context.visibleClusters();
    const { items } = await this.records.findPage(
      { id: recordIdOf(id), clusters: visible ? [...visible] : undefined },
      { limit: 1, offset: 0, order: 'desc' },
      { total: false },
    );
    return NotFoundError.assert(items[0], 'alert record', id);
  }

  @Authorized('alerts:read')
  @Subscription(() => GatewayEventType, {
    topics: 'gateway.event',
    filter: ({ payload, args, context }: { payload: GatewayEvent; args: AlertFilterArgs; context: GraphQLContext }) =>
      (!args.cluster || payload.cluster === args.cluster) &&
      (!args.severity || payload.severity === args.severity) &&
      (!args.alertname || payload.alertname === args.alertname) &&
      (!args.status || payload.status === args.status) &&
      clusterVisible(context, payload.cluster),
    description: 'Gateway events as they happen on any replica, optionally filtered',
  })
  gatewayEvents(@Root() event: GatewayEvent, @Args() _filter: AlertFilterArgs): GatewayEventType {
    return { ...event, at: new Date(event.at) };
  }

  @Authorized('alerts:read')
  @Subscription(() => GatewayLoadEventType, {
    topics: 'gateway.load',
    description: 'Overloads of the gateway as they start and end, on any replica',
  })
  gatewayLoad(@Root() event: GatewayLoadEvent): GatewayLoadEventType {
    return { ...event, at: new Date(event.at) };
  }
}
