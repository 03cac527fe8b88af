import { onEvent } from '../graphql/topics';
import type { GraphQLResolveInfo } from 'graphql';
import { Arg, Args, Authorized, Ctx, ID, Info, Query, Resolver, Root, Subscription } from 'type-graphql';
import { clusterVisible, type GraphQLContext } from '../graphql/context';
import { selectsField } from '../graphql/selection';
import { toPageRequest } from '../schema/common/page.args';
import { AlertFilterArgs, AlertRecordsArgs } from '../schema/gateway/gateway.args';
import { AlertRecordPageType, AlertRecordType, GatewayEventType, GatewayLoadEventType } from '../schema/gateway/gateway.type';
import type { AlertRecordService } from '../services/gateway/alert-record.service';
import type { GatewayEvent, GatewayLoadEvent } from '../services/pubsub/event-map';

/** Alert records and the live gateway event stream; a caller scoped to some clusters sees their alerts only. */
@Resolver()
export class GatewayResolver {
  constructor(private readonly records: AlertRecordService) {}

  @Authorized('alerts:read')
  @Query(() => AlertRecordPageType, { description: 'Processing records, newest first by default' })
  async alertRecords(
    @Args() args: AlertRecordsArgs,
    @Args() filter: AlertFilterArgs,
    @Ctx() context: GraphQLContext,
    @Info() info: GraphQLResolveInfo,
  ): Promise<AlertRecordPageType> {
    const query = { ...filter, state: args.state, fingerprint: args.fingerprint, labels: args.labels };
    return this.records.page(query, toPageRequest(args), await context.visibleClusters(), { total: selectsField(info, 'total') });
  }

  @Authorized('alerts:read')
  @Query(() => AlertRecordType, { description: 'One processing record' })
  async alertRecord(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<AlertRecordType> {
    return this.records.get(id, await context.visibleClusters());
  }

  @Authorized('alerts:read')
  @Subscription(
    () => GatewayEventType,
    onEvent<'gateway.event', AlertFilterArgs>('gateway.event', {
      filter: ({ payload, args, context }) =>
        (!args.cluster || payload.cluster === args.cluster) &&
        (!args.severity || payload.severity === args.severity) &&
        (!args.alertname || payload.alertname === args.alertname) &&
        (!args.status || payload.status === args.status) &&
        clusterVisible(context, payload.cluster),
      description: 'Gateway events as they happen on any replica, optionally filtered',
    }),
  )
  gatewayEvents(@Root() event: GatewayEvent, @Args() _filter: AlertFilterArgs): GatewayEventType {
    return { ...event, at: new Date(event.at) };
  }

  @Authorized('alerts:read')
  @Subscription(
    () => GatewayLoadEventType,
    onEvent('gateway.load', {
      description: 'Overloads of the gateway as they start and end, on any replica',
    }),
  )
  gatewayLoad(@Root() event: GatewayLoadEvent): GatewayLoadEventType {
    return { ...event, at: new Date(event.at) };
  }
}
