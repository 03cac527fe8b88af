import type { EntityManager } from '@mikro-orm/core';
import type { Page, PageRequest } from '../../domain/page';
import { ClusterConfigVersionEntity } from '../../entities/clusters/cluster-config-version.entity';
import { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { ReplicaCheckEntity } from '../../entities/clusters/replica-check.entity';
import { SyncStatusEntity } from '../../entities/clusters/sync-status.entity';

export type ClusterName = Pick<ClusterEntity, 'id' | 'name' | 'labels'>;

/** Storage of clusters, their rendered config versions and their sidecars' reports. */
export class ClusterRepository {
  constructor(private readonly em: EntityManager) {}

  /** Every cluster, by name. */
  all(): Promise<ClusterEntity[]> {
    return this.em.find(ClusterEntity, {}, { orderBy: { name: 'asc' } });
  }

  findById(id: string): Promise<ClusterEntity | null> {
    return this.em.findOne(ClusterEntity, { id });
  }

  findByName(name: string): Promise<ClusterEntity | null> {
    return this.em.findOne(ClusterEntity, { name });
  }

  /** Ids, names and labels of every cluster, read apart from the caller's unit of work (cached by the service). */
  async names(): Promise<ClusterName[]> {
    const rows = await this.em.fork().find(ClusterEntity, {}, { fields: ['id', 'name', 'labels'] });
    return rows.map(({ id, name, labels }) => ({ id, name, labels }));
  }

  add(cluster: ClusterEntity): void {
    this.em.persist(cluster);
  }

  /** A cluster with its versions, replica checks and sync reports. */
  async removeWithHistory(cluster: ClusterEntity): Promise<void> {
    const clusterId = cluster.id;
    await this.em.nativeDelete(ClusterConfigVersionEntity, { clusterId });
    await this.em.nativeDelete(ReplicaCheckEntity, { clusterId });
    await this.em.nativeDelete(SyncStatusEntity, { clusterId });
    this.em.remove(cluster);
  }

  async latestVersion(clusterId: string): Promise<ClusterConfigVersionEntity | null> {
    const [latest] = await this.em.find(ClusterConfigVersionEntity, { clusterId }, { orderBy: { version: 'desc' }, limit: 1 });
    return latest ?? null;
  }

  async versionPage(clusterId: string, page: PageRequest): Promise<Page<ClusterConfigVersionEntity>> {
    const [items, total] = await this.em.findAndCount(
      ClusterConfigVersionEntity,
      { clusterId },
      { orderBy: { version: page.order }, limit: page.limit, offset: page.offset },
    );
    return { items, total };
  }

  addVersion(version: ClusterConfigVersionEntity): void {
    this.em.persist(version);
  }

  allVersions(): Promise<ClusterConfigVersionEntity[]> {
    return this.em.find(ClusterConfigVersionEntity, {});
  }

  /** Writes what was changed on loaded clusters and versions (a re-seal). */
  flush(): Promise<void> {
    return this.em.flush();
  }

  findSync(clusterId: string, instance: string): Promise<SyncStatusEntity | null> {
    return this.em.findOne(SyncStatusEntity, { clusterId, instance });
  }

  saveSync(status: SyncStatusEntity): Promise<void> {
    return this.em.persistAndFlush(status);
  }

  syncStatuses(clusterId: string, kind: SyncStatusEntity['kind']): Promise<SyncStatusEntity[]> {
    return this.em.find(SyncStatusEntity, { clusterId, kind }, { orderBy: { instance: 'asc' } });
  }
}
