import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import type { ClusterEntity } from '../entities/clusters/cluster.entity';
import type { ReplicaCheckEntity } from '../entities/clusters/replica-check.entity';
import type { SyncStatusEntity } from '../entities/clusters/sync-status.entity';
import { COST } from '../graphql/cost';
import { actorFrom, clusterVisible, type GraphQLContext } from '../graphql/context';
import { byField, pageOf } from '../schema/common/list.args';
import { PageArgs, toPageRequest } from '../schema/common/page.args';
import {
  AlertmanagerStatusType,
  ClusterAlertListType,
  ClusterConfigVersionPageType,
  ClusterConfigVersionType,
  ClusterEventArgs,
  ClusterHealthEventType,
  ClusterSyncEventType,
  ClusterSyncType,
  ClusterType,
  ClusterWithCredentialsType,
  CreateClusterInput,
  ReplicaHealthType,
  SilenceListType,
  SyncInstanceType,
  UpdateClusterInput,
  ClusterPageType,
  ClustersArgs,
} from '../schema/clusters/cluster.type';
import type { AlertmanagerClient } from '../services/clusters/alertmanager-client';
import type { ClusterHealthService } from '../services/clusters/cluster-health.service';
import type { ClusterCredentials, ClusterService, ConfigVersionView } from '../services/clusters/cluster.service';
import { maskConfigSecrets } from '../services/clusters/config-secrets';
import type { ClusterHealthEvent, ClusterSyncEvent } from '../services/pubsub/event-map';

export const toSyncInstance = (s: SyncStatusEntity, desiredHash: string): SyncInstanceType => ({
  instance: s.instance,
  kind: s.kind,
  appliedHash: s.appliedHash ?? null,
  inSync: s.appliedHash === desiredHash,
  lastSuccessAt: s.lastSuccessAt ?? null,
  lastError: s.lastError ?? null,
  lastErrorAt: s.lastErrorAt ?? null,
  reportedAt: s.reportedAt,
});

/** A rendered version as GraphQL shows it: secrets masked, the cluster's own (public) webhook URL kept. */
const toVersionType = (version: ConfigVersionView, cluster: Pick<ClusterType, 'webhookUrl'>): ClusterConfigVersionType => ({
  ...version,
  content: maskConfigSecrets(version.content, [cluster.webhookUrl]),
});

const toReplicaHealth = (check: ReplicaCheckEntity): ReplicaHealthType => ({
  url: check.url,
  up: check.up,
  responseMs: check.responseMs,
  version: check.version ?? null,
  peers: check.peers ?? null,
  error: check.error ?? null,
  checkedAt: check.checkedAt,
});

interface AlertmanagerStatusBody {
  versionInfo?: { version?: string };
  uptime?: string;
  cluster?: { status?: string; peers?: unknown[] };
  config?: { original?: string };
}

interface AlertBody {
  fingerprint: string;
  status: { state: string };
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  receivers: Array<{ name: string }>;
}

interface SilenceBody {
  id: string;
  status: { state: string };
  matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual?: boolean }>;
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
}

/** Clusters: registry, health, rendered config and sync status, and calls to their Alertmanagers. */
@Resolver(() => ClusterType)
export class ClusterResolver {
  constructor(
    private readonly clusterService: ClusterService,
    private readonly health: ClusterHealthService,
    private readonly alertmanagers: AlertmanagerClient,
  ) {}

  @Authorized('clusters:read')
  @Query(() => ClusterPageType, { description: 'Clusters with their status, filtered, sorted and paginated: the at-a-glance view' })
  async clusters(@Args() args: ClustersArgs, @Ctx() context: GraphQLContext): Promise<ClusterPageType> {
    const clusters = (await this.clusterService.list(context.principal)).map((c) => this.toType(c));
    return pageOf(
      clusters,
      args,
      (c) => c.name,
      byField(args.sortBy),
      (c) => !args.status || c.status === args.status,
    );
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

  @Authorized('clusters:deploy')
  @FieldResolver(() => String, {
    complexity: COST.RESOLVED_FIELD,
    description:
      "The user's part of alertmanager.yml (YAML), secrets masked; sending a masked value back keeps the stored one (operator role)",
  })
  async configTemplate(@Root() cluster: ClusterType): Promise<string> {
    return maskConfigSecrets(this.clusterService.templateOf(await this.clusterService.get(cluster.id)));
  }

  @Authorized('clusters:deploy')
  @FieldResolver(() => ClusterConfigVersionType, {
    complexity: COST.RESOLVED_FIELD,
    description: 'The config its sidecars should apply, secrets and the webhook token masked (operator role)',
  })
  async desiredConfig(@Root() cluster: ClusterType): Promise<ClusterConfigVersionType> {
    return toVersionType(await this.clusterService.desiredConfig(cluster.id), cluster);
  }

  @Authorized('clusters:deploy')
  @FieldResolver(() => ClusterConfigVersionPageType, {
    complexity: COST.RESOLVED_FIELD,
    description: 'Every rendered version, newest first by default, secrets masked',
  })
  async configVersions(@Root() cluster: ClusterType, @Args() page: PageArgs): Promise<ClusterConfigVersionPageType> {
    const { items, total } = await this.clusterService.versions(cluster.id, toPageRequest(page));
    return { items: items.map((v) => toVersionType(v, cluster)), total };
  }

  @Authorized('clusters:read')
  @FieldResolver(() => ClusterSyncType, {
    complexity: COST.RESOLVED_FIELD,
    description: 'The Alertmanager config: desired against what each Alertmanager sidecar applied',
  })
  async sync(@Root() cluster: ClusterType): Promise<ClusterSyncType> {
    const desired = await this.clusterService.desiredConfig(cluster.id);
    const instances = await this.clusterService.syncStatuses(cluster.id, 'alertmanager');
    return { desiredVersion: desired.version, desiredHash: desired.hash, instances: instances.map((s) => toSyncInstance(s, desired.hash)) };
  }

  @Authorized('clusters:read')
  @Query(() => AlertmanagerStatusType, {
    complexity: COST.REMOTE_CALL,
    description: "A healthy replica's /api/v2/status (fails over to the next replica)",
  })
  async alertmanagerStatus(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<AlertmanagerStatusType> {
    const { servedBy, body } = await this.alertmanagers.get<AlertmanagerStatusBody>(
      await this.clusterService.get(clusterId, context.principal),
      '/api/v2/status',
    );
    return {
      servedBy,
      version: body.versionInfo?.version ?? '',
      uptime: new Date(body.uptime ?? 0),
      clusterStatus: body.cluster?.status ?? 'disabled',
      peers: body.cluster?.peers?.length ?? 0,
      config: maskConfigSecrets(body.config?.original ?? ''),
    };
  }

  @Authorized('clusters:read')
  @Query(() => SilenceListType, { complexity: COST.REMOTE_CALL, description: 'Silences of a cluster, from a healthy replica' })
  async clusterSilences(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<SilenceListType> {
    const { servedBy, body } = await this.alertmanagers.get<SilenceBody[]>(
      await this.clusterService.get(clusterId, context.principal),
      '/api/v2/silences',
    );
    return {
      servedBy,
      silences: body.map((s) => ({
        id: s.id,
        state: s.status.state,
        matchers: s.matchers.map(
          (m) => `${m.name}${m.isEqual === false ? (m.isRegex ? '!~' : '!=') : m.isRegex ? '=~' : '='}${JSON.stringify(m.value)}`,
        ),
        createdBy: s.createdBy,
        comment: s.comment,
        startsAt: new Date(s.startsAt),
        endsAt: new Date(s.endsAt),
      })),
    };
  }

  @Authorized('clusters:read')
  @Query(() => ClusterAlertListType, { complexity: COST.REMOTE_CALL, description: 'Alerts the cluster holds now, from a healthy replica' })
  async clusterAlerts(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<ClusterAlertListType> {
    const { servedBy, body } = await this.alertmanagers.get<AlertBody[]>(
      await this.clusterService.get(clusterId, context.principal),
      '/api/v2/alerts',
    );
    return {
      servedBy,
      alerts: body.map((a) => ({
        fingerprint: a.fingerprint,
        state: a.status.state,
        labels: a.labels,
        annotations: a.annotations,
        startsAt: new Date(a.startsAt),
        endsAt: new Date(a.endsAt),
        receivers: a.receivers.map((r) => r.name),
      })),
    };
  }

  @Authorized('clusters:read')
  @Subscription(() => ClusterHealthEventType, {
    topics: 'cluster.health',
    filter: ({ payload, args, context }: { payload: ClusterHealthEvent; args: ClusterEventArgs; context: GraphQLContext }) =>
      (!args.clusterId || payload.clusterId === args.clusterId) && clusterVisible(context, payload.clusterName),
    description: 'Every health round of every cluster (or one), from any replica',
  })
  clusterHealth(@Root() event: ClusterHealthEvent, @Args() _args: ClusterEventArgs): ClusterHealthEventType {
    return { ...event, at: new Date(event.at), replicas: event.replicas.map((r) => ({ ...r, checkedAt: new Date(r.checkedAt) })) };
  }

  @Authorized('clusters:read')
  @Subscription(() => ClusterSyncEventType, {
    topics: 'cluster.sync',
    filter: ({ payload, args, context }: { payload: ClusterSyncEvent; args: ClusterEventArgs; context: GraphQLContext }) =>
      (!args.clusterId || payload.clusterId === args.clusterId) && clusterVisible(context, payload.clusterName),
    description: 'Sidecar reports as they arrive',
  })
  clusterSync(@Root() event: ClusterSyncEvent, @Args() _args: ClusterEventArgs): ClusterSyncEventType {
    return { ...event, at: new Date(event.at) };
  }

  private toType(cluster: ClusterEntity): ClusterType {
    return {
      id: cluster.id,
      name: cluster.name,
      labels: cluster.labels,
      alertmanagerUrls: cluster.alertmanagerUrls,
      prometheusUrls: cluster.prometheusUrls,
      syncIntervalSeconds: cluster.syncIntervalSeconds,
      routes: cluster.routes,
      inhibitRules: cluster.inhibitRules,
      status: cluster.status,
      webhookUrl: this.clusterService.webhookUrl(cluster),
      tls: cluster.tls ?? null,
      tlsKeySet: Boolean(cluster.tlsKeySealed),
      createdAt: cluster.createdAt,
      updatedAt: cluster.updatedAt,
    };
  }

  private withCredentials(cluster: ClusterEntity, credentials: ClusterCredentials): ClusterWithCredentialsType {
    return { cluster: this.toType(cluster), ...credentials };
  }
}
