import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { COST } from '../graphql/cost';
import type { GraphQLContext } from '../graphql/context';
import { DeliveriesArgs } from '../schema/channels/delivery.args';
import { DeliveryAttemptType, DeliveryPageType, DeliveryType } from '../schema/channels/delivery.type';
import { toPageRequest } from '../schema/common/page.args';
import { AlertRecordType } from '../schema/gateway/gateway.type';
import type { DeliveryService, DeliveryView } from '../services/channels/delivery.service';
import { toAttemptType, toDeliveryType } from './mappers/channel.mapper';

const toType = (view: DeliveryView): DeliveryType => toDeliveryType(view, view.channelName);

/** Deliveries and their attempts, as far as the caller may see channels. */
@Resolver(() => DeliveryType)
export class DeliveryResolver {
  constructor(private readonly deliveryService: DeliveryService) {}

  @Authorized('channels:read')
  @Query(() => DeliveryPageType, { description: 'Deliveries, newest first by default' })
  async deliveries(@Args() args: DeliveriesArgs, @Ctx() context: GraphQLContext): Promise<DeliveryPageType> {
    const filter = { channelId: args.channelId ?? undefined, status: args.status ?? undefined };
    const { items, total } = await this.deliveryService.page(filter, toPageRequest(args), context.principal);
    return { items: items.map(toType), total };
  }

  @Authorized('channels:read')
  @Query(() => DeliveryType, { description: 'One delivery (a failover points to its backup delivery by id)' })
  async delivery(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<DeliveryType> {
    return toType(await this.deliveryService.get(id, context.principal));
  }

  @Authorized('channels:read')
  @FieldResolver(() => [DeliveryAttemptType], { complexity: COST.RESOLVED_FIELD, description: 'Every attempt, oldest first' })
  async attemptLog(@Root() delivery: DeliveryType): Promise<DeliveryAttemptType[]> {
    return (await this.deliveryService.attemptsOf(delivery.id)).map(toAttemptType);
  }
}

/** The deliveries of an alert record. */
@Resolver(() => AlertRecordType)
export class AlertRecordDeliveriesResolver {
  constructor(private readonly deliveryService: DeliveryService) {}

  @Authorized('channels:read')
  @FieldResolver(() => [DeliveryType], {
    complexity: COST.RESOLVED_FIELD,
    description: 'Its deliveries, oldest first (those to channels you may see)',
  })
  async deliveries(@Root() record: AlertRecordType, @Ctx() context: GraphQLContext): Promise<DeliveryType[]> {
    if (record.deliveryIds.length === 0) return [];
    const page = { limit: record.deliveryIds.length, offset: 0, order: 'asc' as const };
    return (await this.deliveryService.page({ ids: record.deliveryIds }, page, context.principal)).items.map(toType);
  }
}
