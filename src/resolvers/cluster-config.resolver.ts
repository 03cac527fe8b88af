import { Args, Authorized, FieldResolver, Resolver, Root } from 'type-graphql';
import { COST } from '../graphql/cost';
import { PageArgs, toPageRequest } from '../schema/common/page.args';
import { ClusterConfigVersionPageType, ClusterConfigVersionType, ClusterSyncType, ClusterType } from '../schema/clusters/cluster.type';
import type { ClusterService } from '../services/clusters/cluster.service';
import { toSyncInstance, toVersionType } from './mappers/cluster.mapper';

/** A cluster's Alertmanager configuration: the template, its rendered versions and how far sidecars applied them. */
@Resolver(() => ClusterType)
export class ClusterConfigResolver {
  constructor(private readonly clusterService: ClusterService) {}

  @Authorized('clusters:deploy')
  @FieldResolver(() => String, {
    complexity: COST.RESOLVED_FIELD,
    description:
      "The user's part of alertmanager.yml (YAML), secrets masked; sending a masked value back keeps the stored one (operator role)",
  })
  async configTemplate(@Root() cluster: ClusterType): Promise<string> {
    return this.clusterService.maskedTemplate(cluster.id);
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
}
