import { Arg, Authorized, Ctx, ID, Query, Resolver } from 'type-graphql';
import { COST } from '../graphql/cost';
import type { GraphQLContext } from '../graphql/context';
import { AlertmanagerStatusType, ClusterAlertListType, SilenceListType } from '../schema/clusters/cluster.type';
import type { AlertmanagerClient } from '../services/clusters/alertmanager-client';
import type { ClusterService } from '../services/clusters/cluster.service';

/** Reads from a cluster's Alertmanager itself, on a healthy replica. */
@Resolver()
export class AlertmanagerResolver {
  constructor(
    private readonly clusterService: ClusterService,
    private readonly alertmanagers: AlertmanagerClient,
  ) {}

  @Authorized('clusters:read')
  @Query(() => AlertmanagerStatusType, {
    complexity: COST.REMOTE_CALL,
    description: "A healthy replica's /api/v2/status (fails over to the next replica)",
  })
  async alertmanagerStatus(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<AlertmanagerStatusType> {
    const { servedBy, body } = await this.alertmanagers.status(await this.clusterService.get(clusterId, context.principal));
    return { servedBy, ...body };
  }

  @Authorized('clusters:read')
  @Query(() => SilenceListType, { complexity: COST.REMOTE_CALL, description: 'Silences of a cluster, from a healthy replica' })
  async clusterSilences(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<SilenceListType> {
    const { servedBy, body } = await this.alertmanagers.silences(await this.clusterService.get(clusterId, context.principal));
    return { servedBy, silences: body };
  }

  @Authorized('clusters:read')
  @Query(() => ClusterAlertListType, { complexity: COST.REMOTE_CALL, description: 'Alerts the cluster holds now, from a healthy replica' })
  async clusterAlerts(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<ClusterAlertListType> {
    const { servedBy, body } = await this.alertmanagers.alerts(await this.clusterService.get(clusterId, context.principal));
    return { servedBy, alerts: body };
  }
}
