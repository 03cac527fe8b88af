import type { EntityManager } from '@mikro-orm/core';
import { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { ReplicaCheckEntity } from '../../entities/clusters/replica-check.entity';

/** Storage of replica health checks (kept as history, pruned past retention). */
export class ReplicaCheckRepository {
  constructor(private readonly em: EntityManager) {}

  /** A unit of work for one health round: its clusters, their new checks and their new status, written together. */
  round(): HealthRound {
    return new HealthRound(this.em.fork());
  }

  /** The newest check of each replica of a cluster since `fresh`. */
  async latest(clusterId: string, fresh: Date): Promise<ReplicaCheckEntity[]> {
    const rows: Array<{ id: string }> = await this.em
      .getConnection()
      .execute(
        `select distinct on ("url") "id" from "replica_check" where "cluster_id" = ? and "checked_at" >= ? order by "url", "checked_at" desc`,
        [clusterId, fresh],
      );
    if (rows.length === 0) return [];
    return this.em.find(ReplicaCheckEntity, { id: { $in: rows.map((r) => r.id) } }, { orderBy: { url: 'asc' } });
  }

  /** A cluster's checks, newest first. */
  history(clusterId: string, limit: number): Promise<ReplicaCheckEntity[]> {
    return this.em.find(ReplicaCheckEntity, { clusterId }, { orderBy: { checkedAt: 'desc' }, limit });
  }
}

export class HealthRound {
  constructor(private readonly em: EntityManager) {}

  clusters(): Promise<ClusterEntity[]> {
    return this.em.find(ClusterEntity, {});
  }

  /** The checks of one cluster, and its status as changed on the entity. */
  async record(checks: ReplicaCheckEntity[]): Promise<void> {
    for (const check of checks) this.em.persist(check);
    await this.em.flush();
  }

  async pruneBefore(before: Date): Promise<void> {
    await this.em.nativeDelete(ReplicaCheckEntity, { checkedAt: { $lt: before } });
  }
}
