import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';

/** Reports the moments a Redis-backed part falls back to the process and comes back. */
export interface RedisFallbackMonitor {
  /** A call did without Redis; `error` is why. */
  fellBack(use: string, error: unknown): void;
  /** A call through Redis worked again. */
  recovered(use: string): void;
}

/** What each Redis-backed part does while Redis is away: said in /readyz and in the log. */
const WHILE_DEGRADED: Record<string, string> = {
  windows:
    'dedupe and convergence windows are kept in this process: copies from Alertmanager HA peers that reach other replicas may be delivered twice',
  events: 'events reach subscribers of this replica only',
  queue: 'delivery retries run in this process at their due time; analyses and summaries wait for Redis',
  flapping: 'flap detection counts state changes seen by this replica only',
  'robot-limits': 'robot rate limits are counted by this replica only: replicas together may exceed a robot limit',
};

/**
 * Keeps track of which Redis-backed parts are doing without Redis. Each fallback is counted;
 * the moments a part falls back and comes back are logged once each, not per call.
 */
export class RedisFallbacks implements RedisFallbackMonitor {
  private readonly degraded = new Map<string, string>();

  constructor(
    private readonly metrics: Pick<Metrics, 'redisFallbacks' | 'redisDegraded'>,
    private readonly logger: Logger,
  ) {}

  fellBack(use: string, error: unknown): void {
    this.metrics.redisFallbacks.inc({ use });
    if (this.degraded.has(use)) return;
    const reason = error instanceof Error ? error.message : String(error);
    this.degraded.set(use, reason);
    this.metrics.redisDegraded.set({ use }, 1);
    this.logger.warn({ use, reason }, `Redis unavailable: ${WHILE_DEGRADED[use] ?? 'working without it'}`);
  }

  recovered(use: string): void {
    if (!this.degraded.delete(use)) return;
    this.metrics.redisDegraded.set({ use }, 0);
    this.logger.info({ use }, 'Redis is back; shared again across replicas');
  }

  /** One line per part working without Redis now. */
  degradations(): string[] {
    return [...this.degraded.keys()].map((use) => `${use}: ${WHILE_DEGRADED[use] ?? 'working without Redis'}`);
  }
}

/**
 * Calls a Redis-backed store while Redis answers and its in-process twin when it does not, so
 * the alert path never waits for Redis. After a failure Redis is left alone for `pauseMs`: a
 * Redis that hangs costs one timeout per pause, not one per call.
 */
export class SharedOrLocal<S> {
  private pausedUntil = 0;

  constructor(
    private readonly shared: S,
    readonly local: S,
    private readonly monitor: RedisFallbackMonitor,
    private readonly use: string,
    private readonly pauseMs = 0,
  ) {}

  async call<T>(work: (store: S) => Promise<T>): Promise<T> {
    if (Date.now() < this.pausedUntil) {
      this.monitor.fellBack(this.use, new Error('Redis failed a moment ago'));
      return work(this.local);
    }
    try {
      const result = await work(this.shared);
      this.monitor.recovered(this.use);
      return result;
    } catch (err) {
      this.pausedUntil = Date.now() + this.pauseMs;
      this.monitor.fellBack(this.use, err);
      return work(this.local);
    }
  }
}
