import { z } from 'zod';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { ChannelGroupEntity } from '../entities/channels/channel-group.entity';
import type { DeliveryAttemptEntity } from '../entities/channels/delivery-attempt.entity';
import { COST } from '../graphql/cost';
import { actorFrom, channelVisible, type GraphQLContext } from '../graphql/context';
import type { ChannelSloEvent } from '../services/pubsub/event-map';
import { toRoleName } from '../schema/common/enums';
import { byField, pageOf } from '../schema/common/list.args';
import { toPageRequest } from '../schema/common/page.args';
import {
  ChannelDeliveryPolicyInput,
  ChannelTemplatesInput,
  ChannelsArgs,
  CreateChannelGroupInput,
  CreateChannelInput,
  UpdateChannelInput,
} from '../schema/channels/channel.input';
import {
  ChannelGroupType,
  ChannelHealthType,
  ChannelKindType,
  ChannelPageType,
  ChannelType,
  type ChannelHealthStatusName,
  ChannelGroupPageType,
  ChannelGroupsArgs,
  ChannelProbeType,
  ChannelSloEventType,
  type ChannelDeliveryPolicyType,
  type ChannelSloStatusName,
} from '../schema/channels/channel.type';
import { AlertRecordType } from '../schema/gateway/gateway.type';
import {
  DeliveriesArgs,
  DeliveryAttemptType,
  DeliveryPageType,
  DeliveryType,
  type DeliveryStatusName,
} from '../schema/channels/delivery.type';
import type { ChannelHealthService } from '../services/channels/channel-health.service';
import type { ChannelService, ChannelView } from '../services/channels/channel.service';
import { rowOf, type DeliveryRepository, type DeliveryRow } from '../services/channels/delivery.repository';
import type { DeliveryService } from '../services/channels/delivery.service';
import { testMessage } from '../services/channels/message';
import { BadUserInputError, NotFoundError } from '../errors';
import type { ChannelEntity } from '../entities/channels/channel.entity';
import { policyOf } from '../services/channels/delivery-policy';
import { channelPlugin } from '../services/channels/registry';
import { effectiveLimit } from '../services/channels/robot-limits';

export function toGroupType(group: ChannelGroupEntity): ChannelGroupType {
  return {
    id: group.id,
    name: group.name,
    parentId: group.parent?.id ?? null,
    manageRole: group.manageRole ? toRoleName(group.manageRole) : null,
    createdAt: group.createdAt,
  };
}

function toPolicyType(entity: ChannelEntity): ChannelDeliveryPolicyType {
  const policy = policyOf(entity.deliveryPolicy);
  const plugin = channelPlugin(entity.type);
  return {
    rateLimit: policy.rateLimit ? effectiveLimit(undefined, policy.rateLimit) : null,
    effectiveRateLimit: effectiveLimit(plugin.robotLimit, policy.rateLimit),
    pool: policy.pool,
    backupChannelId: policy.backupChannelId ?? null,
    failoverAfterAttempts: policy.failoverAfterAttempts,
    failoverAfterSeconds: policy.failoverAfterSeconds,
    failoverWhenDown: policy.failoverWhenDown,
    slo: policy.slo ? { ...policy.slo, p95LatencyMs: policy.slo.p95LatencyMs ?? null } : null,
    probeIntervalSeconds: policy.probeIntervalSeconds ?? null,
  };
}

function toChannelType({ entity, config, secretFieldsSet }: ChannelView): ChannelType {
  return {
    entity,
    deliveryPolicy: toPolicyType(entity),
    id: entity.id,
    name: entity.name,
    type: entity.type,
    config,
    secretFieldsSet,
    group: entity.group ? toGroupType(entity.group) : null,
    tags: entity.tags,
    enabled: entity.enabled,
    templates: entity.templates ?? null,
    createdAt: entity.createdAt,
    updatedAt: entity.updatedAt,
  };
}

export function toDeliveryType(delivery: DeliveryRow, channelName: string): DeliveryType {
  return {
    id: delivery.id,
    channelId: delivery.channelId,
    channelName,
    status: delivery.status as DeliveryStatusName,
    source: delivery.source,
    idempotencyKey: delivery.idempotencyKey,
    attempts: delivery.attempts,
    maxAttempts: delivery.maxAttempts,
    nextAttemptAt: delivery.nextAttemptAt,
    lastError: delivery.lastError,
    createdAt: delivery.createdAt,
    deliveredAt: delivery.deliveredAt,
    failoverDeliveryId: delivery.failoverDeliveryId,
  };
}

function toAttemptType(attempt: DeliveryAttemptEntity): DeliveryAttemptType {
  return {
    attempt: attempt.attempt,
    ok: attempt.ok,
    retryable: attempt.retryable,
    status: attempt.httpStatus ?? null,
    latencyMs: attempt.latencyMs,
    error: attempt.error ?? null,
    peerAnswer: attempt.peerAnswer ?? null,
    createdAt: attempt.createdAt,
    carried: attempt.carried,
    robotChannelId: attempt.robotChannelId ?? null,
    failoverDeliveryId: attempt.failoverDeliveryId ?? null,
  };
}

/** Channels, their groups and kinds: thin mapping onto the channel service. */
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
    return this.channelService.types().map((p) => ({
      type: p.type,
      displayName: p.displayName,
      description: p.description,
      secretFields: [...p.secretFields],
      canProbe: Boolean(p.probe),
      robotLimit: p.robotLimit ?? null,
      mergesWhenThrottled: Boolean(p.mergeBudgetBytes),
      configSchema: z.toJSONSchema(p.schema, { io: 'input' }) as Record<string, unknown>,
      defaultTemplates: p.defaultTemplates,
    }));
  }

  @Authorized('channels:read')
  @Query(() => ChannelPageType, { description: 'Channels, filtered, sorted and paginated' })
  async channels(@Args() args: ChannelsArgs, @Ctx() context: GraphQLContext): Promise<ChannelPageType> {
    const { items, total } = await this.channelService.list(
      {
        type: args.type ?? undefined,
        groupId: args.groupId ?? undefined,
        tag: args.tag ?? undefined,
        enabled: args.enabled ?? undefined,
        search: args.search ?? undefined,
      },
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
    return this.healthOf(channel.entity!);
  }

  @Authorized('channels:read')
  @Query(() => ChannelHealthType, { description: 'Live health of one channel (also available as Channel.health)' })
  async channelHealth(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ChannelHealthType> {
    return this.healthOf((await this.channelService.get(id, context.principal)).entity);
  }

  /** The channel is known to exist here; listing channels must not reload and decrypt each one again. */
  private async healthOf(channel: ChannelEntity): Promise<ChannelHealthType> {
    const health = await this.healthService.health(channel);
    return {
      ...health,
      status: health.status as ChannelHealthStatusName,
      slo: health.slo
        ? {
            ...health.slo,
            status: health.slo.status as ChannelSloStatusName,
            target: { ...health.slo.target, p95LatencyMs: health.slo.target.p95LatencyMs ?? null },
          }
        : null,
    };
  }

  @Authorized('channels:read')
  @Mutation(() => ChannelType)
  async createChannel(@Arg('input') input: CreateChannelInput, @Ctx() context: GraphQLContext): Promise<ChannelType> {
    return toChannelType(
      await this.channelService.create(
        { ...input, templates: plainTemplates(input.templates), deliveryPolicy: plainPolicy(input.deliveryPolicy) },
        actorFrom(context),
      ),
    );
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
  @Subscription(() => ChannelSloEventType, {
    topics: 'channel.slo',
    filter: ({ payload, context }: { payload: ChannelSloEvent; context: GraphQLContext }) => channelVisible(context, payload.channelId),
    description:
      'Channels starting or stopping to miss their SLO (deliveryPolicy.slo), judged every CHANNEL_WATCH_INTERVAL_MS, once across replicas',
  })
  channelSlo(@Root() event: ChannelSloEvent): ChannelSloEventType {
    return { ...event, at: new Date(event.at) };
  }

  @Authorized('channels:read')
  @Query(() => ChannelGroupPageType, { description: 'Channel groups you can see, filtered, sorted and paginated' })
  async channelGroups(@Args() args: ChannelGroupsArgs, @Ctx() context: GraphQLContext): Promise<ChannelGroupPageType> {
    const keep = (g: ChannelGroupType) =>
      (!args.parentId || g.parentId === args.parentId) && (args.topLevel == null || (g.parentId === null) === args.topLevel);
    return pageOf(
      (await this.channelService.listGroups(context.principal)).map(toGroupType),
      args,
      (g) => g.name,
      byField(args.sortBy),
      keep,
    );
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

/** type-graphql hands over class instances; the service validates plain objects. */
function plainTemplates(templates: ChannelTemplatesInput | null | undefined) {
  if (!templates) return null;
  return Object.fromEntries(Object.entries(templates).filter(([, v]) => v !== undefined && v !== null));
}

/** A policy input as plain data; fields given as null take their defaults, as omitted ones do. */
function plainPolicy(policy: ChannelDeliveryPolicyInput | null | undefined): Record<string, unknown> | null {
  if (!policy) return null;
  return JSON.parse(JSON.stringify(policy, (_key, value: unknown) => (value === null ? undefined : value))) as Record<string, unknown>;
}

/** The deliveries of an alert record, as far as the caller may see channels. */
@Resolver(() => AlertRecordType)
export class AlertRecordDeliveriesResolver {
  constructor(
    private readonly records: DeliveryRepository,
    private readonly channelService: ChannelService,
  ) {}

  @Authorized('channels:read')
  @FieldResolver(() => [DeliveryType], {
    complexity: COST.RESOLVED_FIELD,
    description: 'Its deliveries, oldest first (those to channels you may see)',
  })
  async deliveries(@Root() record: AlertRecordType, @Ctx() context: GraphQLContext): Promise<DeliveryType[]> {
    if (record.deliveryIds.length === 0) return [];
    const channelIds = context.principal ? await this.channelService.visibleChannelIds(context.principal) : null;
    const page = { limit: record.deliveryIds.length, offset: 0, order: 'asc' as const };
    const { items } = await this.records.findPage({ ids: record.deliveryIds, channelIds: channelIds ?? undefined }, page);
    return items.map((d) => toDeliveryType(rowOf(d), d.channel.name));
  }
}

/** Deliveries and their attempts. */
@Resolver(() => DeliveryType)
export class DeliveryResolver {
  constructor(
    private readonly records: DeliveryRepository,
    private readonly channelService: ChannelService,
  ) {}

  @Authorized('channels:read')
  @Query(() => DeliveryPageType, { description: 'Deliveries, newest first by default' })
  async deliveries(@Args() args: DeliveriesArgs, @Ctx() context: GraphQLContext): Promise<DeliveryPageType> {
    const channelIds = context.principal ? await this.channelService.visibleChannelIds(context.principal) : null;
    const { items, total } = await this.records.findPage(
      { channelId: args.channelId ?? undefined, channelIds: channelIds ?? undefined, status: args.status ?? undefined },
      toPageRequest(args),
    );
    return { items: items.map((d) => toDeliveryType(rowOf(d), d.channel.name)), total };
  }

  @Authorized('channels:read')
  @Query(() => DeliveryType, { description: 'One delivery (a failover points to its backup delivery by id)' })
  async delivery(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<DeliveryType> {
    const channelIds = context.principal ? await this.channelService.visibleChannelIds(context.principal) : null;
    if (!z.uuid().safeParse(id).success) throw BadUserInputError.forField('id', 'expected a delivery id');
    const found = (await this.records.findPage({ ids: [id], channelIds: channelIds ?? undefined }, { limit: 1, offset: 0, order: 'desc' }))
      .items[0];
    const entity = NotFoundError.assert(found, 'delivery', id);
    return toDeliveryType(rowOf(entity), entity.channel.name);
  }

  @Authorized('channels:read')
  @FieldResolver(() => [DeliveryAttemptType], { complexity: COST.RESOLVED_FIELD, description: 'Every attempt, oldest first' })
  async attemptLog(@Root() delivery: DeliveryType): Promise<DeliveryAttemptType[]> {
    return (await this.records.attemptsOf(delivery.id)).map(toAttemptType);
  }
}
