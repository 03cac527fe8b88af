import type { HealthRound, ReplicaCheckRepository } from './replica-check.repository';
import type { Config } from '../../config';
import type { ClusterEntity, ClusterStatus } from '../../entities/clusters/cluster.entity';
import { ReplicaCheckEntity } from '../../entities/clusters/replica-check.entity';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { ReplicaHealthEvent } from '../pubsub/event-map';
import type { JobQueue } from '../queue/job-queue';
import { PeriodicTask } from '../shared/periodic-task';
import { describeNetworkError, type PeerClient, type TlsOptions } from '../../shared/http-post';

export function clusterStatusOf(replicas: Array<{ up: boolean }>): ClusterStatus {
  if (replicas.length === 0) return 'unknown';
  const up = replicas.filter((r) => r.up).length;
  return up === replicas.length ? 'healthy' : up === 0 ? 'down' : 'degraded';
}

export interface ClusterHealthDeps {
  checks: ReplicaCheckRepository;
  queue: JobQueue;
  events: EventBus;
  metrics: Metrics;
  settings: Config['clusters'];
  logger: Logger;
  peers: PeerClient;
  /** The TLS settings of a cluster for calls to its Alertmanagers, opened. */
  tlsOf: (cluster: ClusterEntity) => TlsOptions | undefined;
}

/**
 * Checks every Alertmanager replica of every cluster on a schedule: `/-/healthy` and `/-/ready`
 * decide up or down, `/api/v2/status` gives version and gossip peers. Each round is one queue
 * job whose id names its time slot, so several workers run it once; results are kept as
 * history (pruned past retention), exported as metrics and streamed to subscribers.
 */
export class ClusterHealthService {
  /** Books the next round: its job id names its time slot, so several workers booking it run it once. */
  private readonly rounds: PeriodicTask;

  constructor(private readonly deps: ClusterHealthDeps) {
    this.rounds = new PeriodicTask('cluster health schedule', () => this.bookRound(), deps.logger);
  }

  private bookRound(): Promise<unknown> {
    const slot = Math.floor(Date.now() / this.deps.settings.healthIntervalMs);
    return this.deps.queue
      .enqueue('clusters.health-check', {}, { jobId: `cluster-health_${slot}`, attempts: 1 })
      .catch((err) => this.deps.logger.warn({ err }, 'could not enqueue a cluster health round'));
  }

  /** The TLS settings of a cluster for calls to its Alertmanagers, opened. */
  tlsOf(cluster: ClusterEntity): TlsOptions | undefined {
    return this.deps.tlsOf(cluster);
  }

  registerProcessor(): void {
    this.deps.queue.process('clusters.health-check', async () => {
      await this.checkAll();
    });
  }

  schedule(): void {
    this.rounds.start(this.deps.settings.healthIntervalMs, true);
  }

  stop(): void {
    this.rounds.stop();
  }

  /** One round over every cluster; returns how many replicas were checked. */
  async checkAll(): Promise<number> {
    const round = this.deps.checks.round();
    const clusters = await round.clusters();
    const counts = await Promise.all(
      clusters.map((cluster) =>
        this.checkCluster(round, cluster).catch(
          (err) => (this.deps.logger.error({ err, cluster: cluster.name }, 'cluster health round failed'), 0),
        ),
      ),
    );
    await round.pruneBefore(new Date(Date.now() - this.deps.settings.healthRetentionHours * 3_600_000));
    return counts.reduce((a, b) => a + b, 0);
  }

  /** The newest check of each replica of a cluster; checks older than a few rounds are left out (unknown). */
  async latest(clusterId: string): Promise<ReplicaCheckEntity[]> {
    return this.deps.checks.latest(clusterId, new Date(Date.now() - 3 * this.deps.settings.healthIntervalMs));
  }

  /** History of a cluster's checks, newest first. */
  history(clusterId: string, limit: number): Promise<ReplicaCheckEntity[]> {
    return this.deps.checks.history(clusterId, limit);
  }

  private async checkCluster(round: HealthRound, cluster: ClusterEntity): Promise<number> {
    const tls = this.deps.tlsOf(cluster);
    const replicas = await Promise.all(cluster.alertmanagerUrls.map((url) => this.checkReplica(url, tls)));
    for (const replica of replicas) {
      const labels = { cluster: cluster.name, url: replica.url };
      this.deps.metrics.clusterReplicaUp.set(labels, replica.up ? 1 : 0);
      this.deps.metrics.clusterReplicaResponse.set(labels, replica.responseMs / 1000);
    }
    const previousStatus = cluster.status;
    cluster.status = clusterStatusOf(replicas);
    await round.record(
      replicas.map((r) => Object.assign(new ReplicaCheckEntity(), { clusterId: cluster.id, ...r, checkedAt: new Date(r.checkedAt) })),
    );
    if (cluster.status !== previousStatus)
      this.deps.logger.info({ cluster: cluster.name, from: previousStatus, to: cluster.status }, 'cluster health changed');
    await this.deps.events
      .publish('cluster.health', {
        clusterId: cluster.id,
        clusterName: cluster.name,
        status: cluster.status,
        previousStatus,
        replicas,
        at: new Date().toISOString(),
      })
      .catch((err) => this.deps.logger.warn({ err }, 'could not publish cluster health'));
    return replicas.length;
  }

  private async checkReplica(url: string, tls: TlsOptions | undefined): Promise<ReplicaHealthEvent> {
    const started = performance.now();
    const timeoutMs = this.deps.settings.healthTimeoutMs;
    const checkedAt = new Date().toISOString();
    try {
      const [healthy, ready, status] = await Promise.all([
        this.deps.peers.call('GET', `${url}/-/healthy`, { timeoutMs, tls }),
        this.deps.peers.call('GET', `${url}/-/ready`, { timeoutMs, tls }),
        this.deps.peers.call('GET', `${url}/api/v2/status`, { timeoutMs, headers: { accept: 'application/json' }, tls }),
      ]);
      const responseMs = Math.round((performance.now() - started) * 100) / 100;
      let version: string | null = null;
      let peers: number | null = null;
      try {
        const body = JSON.parse(status.text) as { versionInfo?: { version?: string }; cluster?: { peers?: unknown[] } };
        version = body.versionInfo?.version?.slice(0, 64) ?? null;
        peers = Array.isArray(body.cluster?.peers) ? body.cluster.peers.length : null;
      } catch {
        // an answer that is not Alertmanager's status: reported through `error` below
      }
      const problems = [
        healthy.status !== 200 ? `/-/healthy answered ${healthy.status}` : null,
        ready.status !== 200 ? `/-/ready answered ${ready.status}` : null,
        status.status !== 200 || version === null ? `/api/v2/status answered ${status.status} without a version` : null,
      ].filter((p): p is string => p !== null);
      return {
        url,
        up: healthy.status === 200 && ready.status === 200,
        responseMs,
        version,
        peers,
        error: problems.length ? problems.join('; ') : null,
        checkedAt,
      };
    } catch (err) {
      return {
        url,
        up: false,
        responseMs: Math.round((performance.now() - started) * 100) / 100,
        version: null,
        peers: null,
        error: describeNetworkError(err, timeoutMs),
        checkedAt,
      };
    }
  }
}
