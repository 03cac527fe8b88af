import { onEvent } from '../graphql/topics';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { ClusterEntity } from '../entities/clusters/cluster.entity';
import { COST } from '../graphql/cost';
import { actorFrom, clusterVisible, type GraphQLContext } from '../graphql/context';
import { byField, pageOf } from '../schema/common/list.args';
import { ClusterEventArgs, ClustersArgs } from '../schema/clusters/cluster.args';
import {
  ClusterHealthEventType,
  ClusterPageType,
  ClusterSyncEventType,
  ClusterType,
  ClusterWithCredentialsType,
  ReplicaHealthType,
} from '../schema/clusters/cluster.type';
import { CreateClusterInput, UpdateClusterInput } from '../schema/clusters/cluster.input';
import type { ClusterHealthService } from '../services/clusters/cluster-health.service';
import type { ClusterCredentials, ClusterService } from '../services/clusters/cluster.service';
import type { ClusterHealthEvent, ClusterSyncEvent } from '../services/pubsub/event-map';
import { toClusterType, toReplicaHealth } from './mappers/cluster.mapper';

/** Clusters: the registry, replica health and live health and sync events. */
@Resolver(() => ClusterType)
export class ClusterResolver {
  constructor(
    private readonly clusterService: ClusterService,
    private readonly health: ClusterHealthService,
  ) {}

  @Authorized('clusters:read')
  @Query(() => ClusterPageType, { description: 'Clusters with their status, filtered, sorted and paginated: the at-a-glance view' })
  async clusters(@Args() args: ClustersArgs, @Ctx() context: GraphQLContext): Promise<ClusterPageType> {
    const clusters = (await this.clusterService.list(context.principal)).map((c) => this.toType(c));
    const keep = (c: ClusterType) => !args.status || c.status === args.status;
    return pageOf(clusters, args, (c) => c.name, byField(args.sortBy), keep);
  }

  @Authorized('clusters:read')
  @Query(() => ClusterType)
  async cluster(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ClusterType> {
    return this.toType(await this.clusterService.get(id, context.principal));
  }

  @Authorized('clusters:admin')
  @Mutation(() => ClusterWithCredentialsType, {
    description: 'Registers a cluster and renders its first config; the tokens are shown only here',
  })
  async createCluster(@Arg('input') input: CreateClusterInput, @Ctx() context: GraphQLContext): Promise<ClusterWithCredentialsType> {
    const { cluster, credentials } = await this.clusterService.create({ ...input }, actorFrom(context));
    return this.withCredentials(cluster, credentials);
  }

  @Authorized('clusters:write')
  @Mutation(() => ClusterType, { description: 'Re-renders the config; refused with the reasons when Alertmanager would refuse it' })
  async updateCluster(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateClusterInput,
    @Ctx() context: GraphQLContext,
  ): Promise<ClusterType> {
    return this.toType(await this.clusterService.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('clusters:admin')
  @Mutation(() => ClusterWithCredentialsType, { description: 'New webhook and sidecar tokens; the old ones stop working at once' })
  async rotateClusterCredentials(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<ClusterWithCredentialsType> {
    const { cluster, credentials } = await this.clusterService.rotateCredentials(id, actorFrom(context));
    return this.withCredentials(cluster, credentials);
  }

  @Authorized('clusters:admin')
  @Mutation(() => Boolean)
  async deleteCluster(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.clusterService.remove(id, actorFrom(context));
    return true;
  }

  @Authorized('clusters:read')
  @FieldResolver(() => [ReplicaHealthType], {
    complexity: COST.RESOLVED_FIELD,
    description: 'The latest check of each replica (replicas not checked recently are absent)',
  })
  async replicas(@Root() cluster: ClusterType): Promise<ReplicaHealthType[]> {
    return (await this.health.latest(cluster.id)).map(toReplicaHealth);
  }

  @Authorized('clusters:read')
  @FieldResolver(() => [ReplicaHealthType], { complexity: COST.RESOLVED_FIELD, description: 'Past checks, newest first' })
  async healthHistory(
    @Root() cluster: ClusterType,
    @Arg('limit', () => Int, { defaultValue: 100 }) limit: number,
  ): Promise<ReplicaHealthType[]> {
    return (await this.health.history(cluster.id, Math.min(Math.max(limit, 1), 1000))).map(toReplicaHealth);
  }

  @Authorized('clusters:read')
  @Subscription(
    () => ClusterHealthEventType,
    onEvent<'cluster.health', ClusterEventArgs>('cluster.health', {
      filter: ({ payload, args, context }) =>
        (!args.clusterId || payload.clusterId === args.clusterId) && clusterVisible(context, payload.clusterName),
      description: 'Every health round of every cluster (or one), from any replica',
    }),
  )
  clusterHealth(@Root() event: ClusterHealthEvent, @Args() _args: ClusterEventArgs): ClusterHealthEventType {
    return { ...event, at: new Date(event.at), replicas: event.replicas.map((r) => ({ ...r, checkedAt: new Date(r.checkedAt) })) };
  }

  @Authorized('clusters:read')
  @Subscription(
    () => ClusterSyncEventType,
    onEvent<'cluster.sync', ClusterEventArgs>('cluster.sync', {
      filter: ({ payload, args, context }) =>
        (!args.clusterId || payload.clusterId === args.clusterId) && clusterVisible(context, payload.clusterName),
      description: 'Sidecar reports as they arrive',
    }),
  )
  clusterSync(@Root() event: ClusterSyncEvent, @Args() _args: ClusterEventArgs): ClusterSyncEventType {
    return { ...event, at: new Date(event.at) };
  }

  private toType(cluster: ClusterEntity): ClusterType {
    return toClusterType(cluster, this.clusterService.webhookUrl(cluster));
  }

  private withCredentials(cluster: ClusterEntity, credentials: ClusterCredentials): ClusterWithCredentialsType {
    return { cluster: this.toType(cluster), ...credentials };
  }
}
