import type { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { UpstreamError } from '../../errors';
import { describeNetworkError, excerpt, type PeerClient } from '../shared/http-post';
import type { ClusterHealthService } from './cluster-health.service';

const CALL_TIMEOUT_MS = 5_000;

export interface ServedAnswer<T> {
  /** The replica that answered. */
  servedBy: string;
  body: T;
}

/**
 * Calls a cluster's Alertmanager API on a healthy replica: replicas the last checks saw up come
 * first, rotated on each call to spread the load; unchecked ones next; replicas seen down last,
 * so a call still succeeds if the checks are behind. A replica that fails the call is skipped
 * for the next one.
 */
export class AlertmanagerClient {
  private turn = 0;

  constructor(
    private readonly health: ClusterHealthService,
    private readonly peers: PeerClient,
  ) {}

  async get<T>(cluster: ClusterEntity, path: string): Promise<ServedAnswer<T>> {
    const order = await this.order(cluster);
    const failures: string[] = [];
    for (const url of order) {
      try {
        const answer = await this.peers.call('GET', `${url}${path}`, { timeoutMs: CALL_TIMEOUT_MS, headers: { accept: 'application/json' }, tls: this.health.tlsOf(cluster) });
        if (answer.status >= 200 && answer.status < 300) return { servedBy: url, body: JSON.parse(answer.text) as T };
        failures.push(`${url}: HTTP ${answer.status} ${excerpt(answer.text, 200)}`);
        // A 4xx is about the request, not the replica: another replica would answer the same.
        if (answer.status < 500) break;
      } catch (err) {
        failures.push(`${url}: ${err instanceof SyntaxError ? 'answer is not JSON' : describeNetworkError(err, CALL_TIMEOUT_MS)}`);
      }
    }
    throw new UpstreamError(`no Alertmanager replica of cluster ${cluster.name} answered ${path}: ${failures.join('; ')}`);
  }

  private async order(cluster: ClusterEntity): Promise<string[]> {
    const states = new Map((await this.health.latest(cluster.id)).map((s) => [s.url, s.up]));
    const up = cluster.alertmanagerUrls.filter((u) => states.get(u) === true);
    const unknown = cluster.alertmanagerUrls.filter((u) => !states.has(u));
    const down = cluster.alertmanagerUrls.filter((u) => states.get(u) === false);
    const start = up.length > 0 ? this.turn++ % up.length : 0;
    return [...up.slice(start), ...up.slice(0, start), ...unknown, ...down];
  }
}
