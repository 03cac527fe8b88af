import type { ClusterEntity } from '../../entities/clusters/cluster.entity';
import { UpstreamError } from '../../errors';
import { describeNetworkError, excerpt, type PeerClient } from '../../shared/http-post';
import type { ClusterHealthService } from './cluster-health.service';
import { maskConfigSecrets } from './config-secrets';

const CALL_TIMEOUT_MS = 5_000;

/** Alertmanager API v2 answers, as far as we read them (absent fields: older or trimmed answers). */
interface StatusBody {
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

interface SilenceMatcherBody {
  name: string;
  value: string;
  isRegex: boolean;
  /** Absent before Alertmanager 0.22: equal. */
  isEqual?: boolean;
}

interface SilenceBody {
  id: string;
  status: { state: string };
  matchers: SilenceMatcherBody[];
  createdBy: string;
  comment: string;
  startsAt: string;
  endsAt: string;
}

export interface AlertmanagerStatus {
  version: string;
  uptime: Date;
  clusterStatus: string;
  peers: number;
  /** alertmanager.yml as loaded, secrets masked. */
  config: string;
}

export interface AlertmanagerSilence {
  id: string;
  state: string;
  /** In Alertmanager's own notation: `name="value"`, `name=~"regex"`, `name!="value"`, `name!~"regex"`. */
  matchers: string[];
  createdBy: string;
  comment: string;
  startsAt: Date;
  endsAt: Date;
}

export interface AlertmanagerAlert {
  fingerprint: string;
  state: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: Date;
  endsAt: Date;
  receivers: string[];
}

function matcherText(m: SilenceMatcherBody): string {
  const operator = m.isEqual === false ? (m.isRegex ? '!~' : '!=') : m.isRegex ? '=~' : '=';
  return `${m.name}${operator}${JSON.stringify(m.value)}`;
}

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

  async status(cluster: ClusterEntity): Promise<ServedAnswer<AlertmanagerStatus>> {
    const { servedBy, body } = await this.request<StatusBody>(cluster, 'GET', '/api/v2/status');
    return {
      servedBy,
      body: {
        version: body.versionInfo?.version ?? '',
        uptime: new Date(body.uptime ?? 0),
        clusterStatus: body.cluster?.status ?? 'disabled',
        peers: body.cluster?.peers?.length ?? 0,
        config: maskConfigSecrets(body.config?.original ?? ''),
      },
    };
  }

  async silences(cluster: ClusterEntity): Promise<ServedAnswer<AlertmanagerSilence[]>> {
    const { servedBy, body } = await this.request<SilenceBody[]>(cluster, 'GET', '/api/v2/silences');
    const silences = body.map((s) => ({
      id: s.id,
      state: s.status.state,
      matchers: s.matchers.map(matcherText),
      createdBy: s.createdBy,
      comment: s.comment,
      startsAt: new Date(s.startsAt),
      endsAt: new Date(s.endsAt),
    }));
    return { servedBy, body: silences };
  }

  async alerts(cluster: ClusterEntity): Promise<ServedAnswer<AlertmanagerAlert[]>> {
    const { servedBy, body } = await this.request<AlertBody[]>(cluster, 'GET', '/api/v2/alerts');
    const alerts = body.map((a) => ({
      fingerprint: a.fingerprint,
      state: a.status.state,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: new Date(a.startsAt),
      endsAt: new Date(a.endsAt),
      receivers: a.receivers.map((r) => r.name),
    }));
    return { servedBy, body: alerts };
  }

  /** Creates a silence (Alertmanager's replicas share it); answers its id. */
  async createSilence(
    cluster: ClusterEntity,
    silence: {
      matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
      startsAt: Date;
      endsAt: Date;
      createdBy: string;
      comment: string;
    },
  ): Promise<string> {
    const { body } = await this.request<{ silenceID: string }>(cluster, 'POST', '/api/v2/silences', JSON.stringify(silence));
    return body.silenceID;
  }

  /** Expires a silence; one already expired or gone counts as done. */
  async expireSilence(cluster: ClusterEntity, id: string): Promise<void> {
    await this.request(
      cluster,
      'DELETE',
      `/api/v2/silence/${encodeURIComponent(id)}`,
      undefined,
      (status, text) => status === 404 || /already expired/i.test(text),
    );
  }

  private async request<T>(
    cluster: ClusterEntity,
    method: 'GET' | 'POST' | 'DELETE',
    path: string,
    body?: string,
    alsoDone: (status: number, text: string) => boolean = () => false,
  ): Promise<ServedAnswer<T>> {
    const order = await this.order(cluster);
    const failures: string[] = [];
    for (const url of order) {
      try {
        const headers: Record<string, string> = { accept: 'application/json', ...(body ? { 'content-type': 'application/json' } : {}) };
        const answer = await this.peers.call(method, `${url}${path}`, {
          timeoutMs: CALL_TIMEOUT_MS,
          headers,
          body,
          tls: this.health.tlsOf(cluster),
        });
        if ((answer.status >= 200 && answer.status < 300) || alsoDone(answer.status, answer.text))
          return { servedBy: url, body: (answer.text ? JSON.parse(answer.text) : null) as T };
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
