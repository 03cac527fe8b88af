import type { ClusterEntity } from '../../entities/clusters/cluster.entity';
import type { ReplicaCheckEntity } from '../../entities/clusters/replica-check.entity';
import type { SyncStatusEntity } from '../../entities/clusters/sync-status.entity';
import type { ClusterConfigVersionType, ClusterType, ReplicaHealthType, SyncInstanceType } from '../../schema/clusters/cluster.type';
import type { ConfigVersionView } from '../../services/clusters/cluster.service';
import { maskConfigSecrets } from '../../services/clusters/config-secrets';

/** Clusters, their replicas, rendered configs and sidecar reports as GraphQL shows them. */

export function toClusterType(cluster: ClusterEntity, webhookUrl: string): ClusterType {
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
    webhookUrl,
    tls: cluster.tls ?? null,
    tlsKeySet: Boolean(cluster.tlsKeySealed),
    createdAt: cluster.createdAt,
    updatedAt: cluster.updatedAt,
  };
}

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
export const toVersionType = (version: ConfigVersionView, cluster: Pick<ClusterType, 'webhookUrl'>): ClusterConfigVersionType => ({
  ...version,
  content: maskConfigSecrets(version.content, [cluster.webhookUrl]),
});

export const toReplicaHealth = (check: ReplicaCheckEntity): ReplicaHealthType => ({
  url: check.url,
  up: check.up,
  responseMs: check.responseMs,
  version: check.version ?? null,
  peers: check.peers ?? null,
  error: check.error ?? null,
  checkedAt: check.checkedAt,
});
