import { onEvent } from '../graphql/topics';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { COST } from '../graphql/cost';
import { actorFrom, channelVisible, type GraphQLContext } from '../graphql/context';
import { toPageRequest } from '../schema/common/page.args';
import { ChannelsArgs } from '../schema/channels/channel.args';
import { CreateChannelInput, UpdateChannelInput } from '../schema/channels/channel.input';
import {
  ChannelHealthType,
  ChannelKindType,
  ChannelPageType,
  ChannelProbeType,
  ChannelSloEventType,
  ChannelType,
} from '../schema/channels/channel.type';
import { DeliveryType } from '../schema/channels/delivery.type';
import type { ChannelHealthService } from '../services/channels/channel-health.service';
import type { ChannelService } from '../services/channels/channel.service';
import type { DeliveryService } from '../services/channels/delivery.service';
import { testMessage } from '../services/channels/message';
import type { ChannelSloEvent } from '../services/pubsub/event-map';
import { plainPolicy, plainTemplates, toChannelType, toDeliveryType, toHealthType, toKindType } from './mappers/channel.mapper';

/** Channels and their kinds: thin mapping onto the channel service. */
@Resolver(() => ChannelType)
export class ChannelResolver {
  constructor(
    private readonly channelService: ChannelService,
    private readonly deliveryService: DeliveryService,
    private readonly healthService: ChannelHealthService,
  ) {}

  @Authorized('channels:read')
  @Query(() => [ChannelKindType], { description: 'Every kind of channel with its configuration schema' })
  channelTypes(): ChannelKindType[] {
    return this.channelService.types().map(toKindType);
  }

  @Authorized('channels:read')
  @Query(() => ChannelPageType, { description: 'Channels, filtered, sorted and paginated' })
  async channels(@Args() args: ChannelsArgs, @Ctx() context: GraphQLContext): Promise<ChannelPageType> {
    const { type, groupId, tag, enabled, search } = args;
    const filter = { type: type ?? undefined, groupId: groupId ?? undefined, tag: tag ?? undefined, enabled: enabled ?? undefined };
    const { items, total } = await this.channelService.list(
      { ...filter, search: search ?? undefined },
      toPageRequest(args),
      args.sortBy,
      context.principal,
    );
    return { items: items.map(toChannelType), total };
  }

  @Authorized('channels:read')
  @Query(() => ChannelType)
  async channel(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ChannelType> {
    return toChannelType(await this.channelService.get(id, context.principal));
  }

  @Authorized('channels:read')
  @FieldResolver(() => ChannelHealthType, {
    complexity: COST.RESOLVED_FIELD,
    description: 'Success rate and latency over the health window',
  })
  async health(@Root() channel: ChannelType): Promise<ChannelHealthType> {
    // The channel is in hand: a list of channels must not reload and decrypt each one again.
    return toHealthType(await this.healthService.health(channel.entity!));
  }

  @Authorized('channels:read')
  @Query(() => ChannelHealthType, { description: 'Live health of one channel (also available as Channel.health)' })
  async channelHealth(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ChannelHealthType> {
    return toHealthType(await this.healthService.health((await this.channelService.get(id, context.principal)).entity));
  }

  @Authorized('channels:read')
  @Mutation(() => ChannelType)
  async createChannel(@Arg('input') input: CreateChannelInput, @Ctx() context: GraphQLContext): Promise<ChannelType> {
    const plain = { ...input, templates: plainTemplates(input.templates), deliveryPolicy: plainPolicy(input.deliveryPolicy) };
    return toChannelType(await this.channelService.create(plain, actorFrom(context)));
  }

  @Authorized('channels:read')
  @Mutation(() => ChannelType)
  async updateChannel(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateChannelInput,
    @Ctx() context: GraphQLContext,
  ): Promise<ChannelType> {
    const templates = input.templates === undefined ? undefined : plainTemplates(input.templates);
    const deliveryPolicy = input.deliveryPolicy === undefined ? undefined : plainPolicy(input.deliveryPolicy);
    return toChannelType(await this.channelService.update(id, { ...input, templates, deliveryPolicy }, actorFrom(context)));
  }

  @Authorized('channels:read')
  @Mutation(() => Boolean)
  async deleteChannel(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.channelService.remove(id, actorFrom(context));
    return true;
  }

  @Authorized('channels:read')
  @Mutation(() => DeliveryType, {
    complexity: COST.REMOTE_CALL,
    description: 'Send a real test message now; the answer carries the outcome and the peer answer',
  })
  async testChannel(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<DeliveryType> {
    const { view } = await this.channelService.authorizeTest(id, actorFrom(context));
    const delivery = await this.deliveryService.deliver(id, testMessage(view.entity.name), { source: 'test', maxAttempts: 1 });
    return toDeliveryType(delivery, view.entity.name);
  }

  @Authorized('channels:read')
  @Mutation(() => ChannelProbeType, {
    complexity: COST.REMOTE_CALL,
    description:
      'Check reachability and credentials without posting (Telegram getMe, an SMTP login); refused for types that can only be checked by posting (see ChannelKind.canProbe)',
  })
  async probeChannel(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ChannelProbeType> {
    await this.channelService.authorizeTest(id, actorFrom(context));
    return this.deliveryService.probe(id);
  }

  @Authorized('channels:read')
  @Subscription(
    () => ChannelSloEventType,
    onEvent('channel.slo', {
      filter: ({ payload, context }) => channelVisible(context, payload.channelId),
      description:
        'Channels starting or stopping to miss their SLO (deliveryPolicy.slo), judged every CHANNEL_WATCH_INTERVAL_MS, once across replicas',
    }),
  )
  channelSlo(@Root() event: ChannelSloEvent): ChannelSloEventType {
    return { ...event, at: new Date(event.at) };
  }
}
