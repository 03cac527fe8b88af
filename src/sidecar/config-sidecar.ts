import { sidecarPath } from '../shared/paths';
import { createHash } from 'node:crypto';
import { open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client';
import writeFileAtomic from 'write-file-atomic';
import type { Logger } from '../shared/logger';
import { backoffDelay, type BackoffPolicy } from '../shared/backoff';
import { describeNetworkError, excerpt } from '../shared/http-post';
import { sidecarPeers } from './peer';
import type { EngineAdapter } from './engines';

export interface SidecarOptions {
  /** AlertAgent's base URL, e.g. http://alertagent:4000. */
  server: string;
  cluster: string;
  token: string;
  /** The engine's config file this sidecar owns. */
  file: string;
  /** How this sidecar is named in AlertAgent's sync status. */
  instance: string;
  /** Poll interval; when unset, the interval AlertAgent sends for the cluster. */
  intervalMs?: number;
  backoff: BackoffPolicy;
}

const DEFAULT_INTERVAL_MS = 30_000;
const REQUEST_TIMEOUT_MS = 10_000;
const MAX_CONFIG_BYTES = 8 * 1024 * 1024;

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

export class SidecarMetrics {
  readonly registry = new Registry();
  readonly polls = new Counter({
    name: 'alertagent_sidecar_polls_total',
    help: 'Polls of AlertAgent by outcome (unchanged, changed, failed)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: 'alertagent_sidecar_reloads_total',
    help: 'Engine reloads by outcome (applied, refused)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly lastReloadSuccessful = new Gauge({
    name: 'alertagent_sidecar_last_reload_successful',
    help: 'Whether the last reload left the engine on the new config (1) or not (0)',
    registers: [this.registry],
  });
  readonly lastSuccess = new Gauge({
    name: 'alertagent_sidecar_last_success_timestamp_seconds',
    help: 'When the engine last ran the desired config, as confirmed by a poll',
    registers: [this.registry],
  });
  readonly consecutiveFailures = new Gauge({
    name: 'alertagent_sidecar_consecutive_failures',
    help: 'Failed cycles since the last good one (drives the backoff)',
    registers: [this.registry],
  });

  constructor() {
    collectDefaultMetrics({ register: this.registry });
  }
}

/** A sidecar cycle that failed; the loop backs off. */
class CycleError extends Error {}

/**
 * Keeps one engine on its cluster's config: polls AlertAgent with the hash it runs (a 304 costs
 * nothing), writes a new file atomically (temp file in the same directory, fsync, rename, fsync
 * of the directory), reloads the engine and checks it took the file, and reports the outcome.
 * A file the engine refuses is replaced by the last good one at once. Failures back off
 * exponentially with jitter, capped, and the loop recovers by itself.
 */
export class ConfigSidecar {
  readonly metrics = new SidecarMetrics();
  private appliedHash: string | null = null;
  private lastGood: { content: string; hash: string } | null = null;
  private failures = 0;
  private reportedOnce = false;
  private serverIntervalMs: number | null = null;
  private lastError: string | null = null;
  private lastSuccessAt: Date | null = null;
  private stopped = false;
  private wake: (() => void) | null = null;

  constructor(
    private readonly options: SidecarOptions,
    private readonly engine: EngineAdapter,
    private readonly logger: Logger,
  ) {}

  /** What /healthz shows. */
  status() {
    return {
      cluster: this.options.cluster,
      instance: this.options.instance,
      appliedHash: this.appliedHash,
      lastSuccessAt: this.lastSuccessAt?.toISOString() ?? null,
      consecutiveFailures: this.failures,
      lastError: this.lastError,
    };
  }

  /** Learns what is already on disk and running, so a restart does not reload for nothing. */
  async start(): Promise<void> {
    const existing = await readFile(this.options.file, 'utf8').catch(() => null);
    if (existing !== null && (await this.engine.runs(existing))) {
      this.lastGood = { content: existing, hash: sha256(existing) };
      this.appliedHash = this.lastGood.hash;
      this.logger.info({ hash: this.appliedHash }, 'the engine runs the file on disk');
    }
  }

  /** Runs cycles until stop(); each waits the poll interval after a good cycle, the backoff after a failed one. */
  async run(): Promise<void> {
    while (!this.stopped) {
      const waitMs = (await this.cycle())
        ? (this.options.intervalMs ?? this.serverIntervalMs ?? DEFAULT_INTERVAL_MS)
        : backoffDelay(this.failures, this.options.backoff);
      if (this.stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, waitMs);
        this.wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.wake = null;
    }
  }

  stop(): void {
    this.stopped = true;
    this.wake?.();
  }

  /** One poll (and apply when changed); true when it went well. */
  async cycle(): Promise<boolean> {
    try {
      await this.syncOnce();
      this.failures = 0;
      this.lastError = null;
      this.metrics.consecutiveFailures.set(0);
      return true;
    } catch (err) {
      this.failures += 1;
      this.lastError = (err as Error).message;
      this.metrics.consecutiveFailures.set(this.failures);
      this.metrics.polls.inc({ outcome: 'failed' });
      this.logger.warn({ err: this.lastError, failures: this.failures }, 'sync cycle failed; backing off');
      return false;
    }
  }

  private async syncOnce(): Promise<void> {
    const { server, cluster, token } = this.options;
    const headers: Record<string, string> = { authorization: `Bearer ${token}` };
    if (this.appliedHash) headers['if-none-match'] = `"${this.appliedHash}"`;
    let answer: Awaited<ReturnType<typeof sidecarPeers.call>>;
    try {
      answer = await sidecarPeers.call('GET', `${server}${this.engine.configPath(cluster)}`, {
        headers,
        timeoutMs: REQUEST_TIMEOUT_MS,
        maxAnswerBytes: MAX_CONFIG_BYTES,
      });
    } catch (err) {
      throw new CycleError(`AlertAgent unreachable: ${describeNetworkError(err, REQUEST_TIMEOUT_MS)}`);
    }
    const interval = Number(answer.header('x-sync-interval-seconds'));
    if (Number.isInteger(interval) && interval > 0) this.serverIntervalMs = interval * 1000;
    if (answer.status === 304) {
      this.metrics.polls.inc({ outcome: 'unchanged' });
      this.confirmed();
      if (!this.reportedOnce) await this.report(true, null);
      return;
    }
    if (answer.status !== 200) throw new CycleError(`AlertAgent answered HTTP ${answer.status}: ${excerpt(answer.text, 300)}`);
    const content = answer.text;
    const hash = sha256(content);
    const etag = answer.header('etag');
    if (etag && etag !== `"${hash}"`) throw new CycleError(`the config received does not match its ETag ${etag} (truncated in transit?)`);
    this.metrics.polls.inc({ outcome: 'changed' });
    await this.apply(content, hash);
  }

  private async apply(content: string, hash: string): Promise<void> {
    await writeAtomically(this.options.file, content);
    const problem = await this.engine.reloadAndVerify(content);
    if (problem === null) {
      this.lastGood = { content, hash };
      this.appliedHash = hash;
      this.metrics.reloads.inc({ outcome: 'applied' });
      this.metrics.lastReloadSuccessful.set(1);
      this.confirmed();
      this.logger.info({ hash }, 'applied a new config');
      await this.report(true, null);
      return;
    }
    this.metrics.reloads.inc({ outcome: 'refused' });
    this.metrics.lastReloadSuccessful.set(0);
    let restored = 'no earlier file to restore';
    if (this.lastGood) {
      await writeAtomically(this.options.file, this.lastGood.content);
      const again = await this.engine.reloadAndVerify(this.lastGood.content);
      restored =
        again === null
          ? `restored config ${this.lastGood.hash.slice(0, 12)}`
          : `restoring config ${this.lastGood.hash.slice(0, 12)} failed too: ${again}`;
    }
    const error = `config ${hash.slice(0, 12)} refused by the engine: ${problem}; ${restored}`;
    this.logger.error({ hash, problem, restored }, 'the engine refused the new config');
    await this.report(false, error);
    throw new CycleError(error);
  }

  private confirmed(): void {
    this.lastSuccessAt = new Date();
    this.metrics.lastSuccess.set(this.lastSuccessAt.getTime() / 1000);
  }

  /** Tells AlertAgent what runs now; a report that cannot be sent is logged, not retried (the next change reports again). */
  private async report(ok: boolean, error: string | null): Promise<void> {
    const { server, cluster, token, instance } = this.options;
    try {
      const answer = await sidecarPeers.call('POST', `${server}${sidecarPath(cluster, 'sync')}`, {
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ instance, kind: this.engine.kind, appliedHash: this.appliedHash, ok, error }),
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      if (answer.status !== 200) throw new Error(`HTTP ${answer.status}: ${excerpt(answer.text, 300)}`);
      this.reportedOnce = true;
    } catch (err) {
      this.logger.warn({ err: (err as Error).message }, 'could not report the sync status to AlertAgent');
    }
  }
}

/**
 * Replaces a file so that a reader sees either the old or the new content, whole, even if this
 * process dies half-way: write-file-atomic writes a temp file beside it, fsyncs and renames it;
 * the directory is fsynced after, so the rename itself survives a power cut.
 */
export async function writeAtomically(file: string, content: string): Promise<void> {
  await writeFileAtomic(file, content, { mode: 0o640, fsync: true });
  const dir = await open(dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}
