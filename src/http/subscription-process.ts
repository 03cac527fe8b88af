import { fork, type ChildProcess } from 'node:child_process';
import type { IncomingHttpHeaders, IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import { ConfigError, type Config } from '../config';
import type { Logger } from '../shared/logger';

/** A registry's metrics as prom-client hands them between processes. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What the serve process tells its subscription process. A socket travels with `upgrade`. */
export type ToSubscriptionProcess =
  | { type: 'start'; config: Config }
  | { type: 'upgrade'; method: string; url: string; headers: IncomingHttpHeaders; head: string }
  | { type: 'metrics'; id: number }
  | { type: 'log-level'; level: Config['log']['level'] }
  | { type: 'stop' };

/** What the subscription process answers. */
export type FromSubscriptionProcess =
  | { type: 'ready' }
  | { type: 'failed'; problem: string }
  | { type: 'metrics'; id: number; metrics: MetricsJson };

/** Where graphql-ws is served: `own` = a process of its own beside the serve process, `inline` = in it. */
export type SubscriptionPlacement = 'own' | 'inline';

/**
 * `auto` is a process of its own where a second process can share the database and the events
 * (PostgreSQL and Redis); the embedded database belongs to one process.
 */
export function subscriptionPlacement(config: Pick<Config, 'server' | 'database' | 'redis'>): SubscriptionPlacement {
  const shareable = Boolean(config.database.url && config.redis.url);
  const setting = config.server.subscriptionProcess;
  if (setting === 'auto') return shareable ? 'own' : 'inline';
  if (setting === 'own' && !shareable)
    throw new ConfigError([
      'server.subscriptionProcess (env WS_PROCESS): `own` needs database.url and redis.url (the subscription process shares the database and receives events through Redis); use `inline` or `auto`',
    ]);
  return setting;
}

const START_WAIT_MS = 60_000;
const STOP_WAIT_MS = 10_000;
const METRICS_WAIT_MS = 2_000;
const RESTART_FIRST_MS = 1_000;
const RESTART_MOST_MS = 30_000;
/** Entry of the subscription process, next to this file once built (`dist/src/http`). */
const ENTRY = join(__dirname, 'subscription-process-main.js');

/**
 * Serves graphql-ws from a child process, so that writing results to thousands of sockets never
 * holds up a webhook's answer or a delivery on the serve process's event loop. The serve process
 * accepts each upgrade request on the GraphQL path and hands the socket over; the child speaks
 * graphql-ws with the same schema, authentication and limits, and receives events from Redis like
 * any replica. A child that dies is started again (sockets it held close; clients reconnect);
 * meanwhile upgrades are answered 503.
 */
export class SubscriptionProcess {
  private child: ChildProcess | null = null;
  private ready = false;
  private stopping = false;
  private restartDelay = RESTART_FIRST_MS;
  private restartTimer: NodeJS.Timeout | null = null;
  private nextMetricsId = 0;
  private readonly metricsWaiting = new Map<number, (metrics: MetricsJson) => void>();

  private constructor(
    private config: Config,
    private readonly logger: Logger,
  ) {}

  /** Starts the child and resolves once it serves; rejects with its reason when it cannot start. */
  static async start(config: Config, logger: Logger): Promise<SubscriptionProcess> {
    const process = new SubscriptionProcess(config, logger.child({ component: 'subscription-process' }));
    await process.spawn();
    return process;
  }

  /**
   * Hands upgrade requests on `path` to the child (others are refused). What it returns closes
   * every subscription (graphql-ws says "going away") and ends the child, as the inline server's does.
   */
  serve(server: Server, path: string): { dispose(): Promise<void>; close(): void } {
    server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
      if (new URL(req.url ?? '/', 'http://localhost').pathname !== path) return refuse(socket, 404, 'no WebSocket endpoint here');
      this.handOver(req, socket, head);
    });
    return { dispose: () => this.stop(), close: () => void this.stop() };
  }

  /** What is degraded while the child is away, for /readyz. */
  degradations(): string[] {
    return this.ready || this.stopping
      ? []
      : ['subscriptions: their process is restarting; new graphql-ws connections are refused with 503 until it is back'];
  }

  /** A log level reloaded from the config file; a child started later gets it with its config. */
  setLogLevel(level: Config['log']['level']): void {
    this.config = { ...this.config, log: { ...this.config.log, level } };
    this.send({ type: 'log-level', level });
  }

  /** The child's metrics (labelled role="subscriptions"); none while it is away or slow to answer. */
  async metrics(): Promise<MetricsJson> {
    const child = this.child;
    if (!child || !this.ready) return [];
    const id = this.nextMetricsId++;
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.metricsWaiting.delete(id);
        resolve([]);
      }, METRICS_WAIT_MS);
      this.metricsWaiting.set(id, (metrics) => {
        clearTimeout(timer);
        resolve(metrics);
      });
      this.send({ type: 'metrics', id });
    });
  }

  private async stop(): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    this.send({ type: 'stop' });
    const timer = setTimeout(() => child.kill('SIGKILL'), STOP_WAIT_MS);
    await exited;
    clearTimeout(timer);
  }

  private handOver(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const child = this.child;
    if (!child || !this.ready || !child.connected) return refuse(socket, 503, 'subscriptions are restarting; try again in a few seconds');
    const message: ToSubscriptionProcess = {
      type: 'upgrade',
      method: req.method ?? 'GET',
      url: req.url ?? '/',
      headers: req.headers,
      head: head.toString('base64'),
    };
    // Until the child acknowledges the socket, this process still holds it and would read (and
    // drop) what the client sends after the child's 101 answer: stop reading here first.
    (socket as unknown as { _handle?: { readStop?(): number } })._handle?.readStop?.();
    // Sending takes the descriptor but leaves this side's socket object open, still counted by the
    // server and the per-address limit: destroying it (handle gone, so the child's copy stays open)
    // lets it go.
    child.send(message, socket, { keepOpen: false }, () => socket.destroy());
  }

  private send(message: ToSubscriptionProcess): void {
    if (this.child?.connected) this.child.send(message);
  }

  private restartSoon(): void {
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (this.stopping) return;
      this.spawn().catch((err: Error) => {
        this.logger.error({ err: err.message, restartInMs: this.restartDelay }, 'the subscription process did not start again');
        this.restartSoon();
      });
    }, this.restartDelay);
    this.restartDelay = Math.min(2 * this.restartDelay, RESTART_MOST_MS);
  }

  private spawn(): Promise<void> {
    const child = fork(ENTRY, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    this.child = child;
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the subscription process did not start within ${START_WAIT_MS / 1000} s`));
      }, START_WAIT_MS);
      child.on('message', (message: FromSubscriptionProcess) => {
        if (message.type === 'ready') {
          started = true;
          this.ready = true;
          this.restartDelay = RESTART_FIRST_MS;
          clearTimeout(timer);
          resolve();
        } else if (message.type === 'failed') {
          clearTimeout(timer);
          reject(new Error(`the subscription process could not start: ${message.problem}`));
        } else if (message.type === 'metrics') this.metricsWaiting.get(message.id)?.(message.metrics);
      });
      child.once('error', (err) => {
        clearTimeout(timer);
        if (!started) reject(err);
      });
      child.once('exit', (code, signal) => {
        clearTimeout(timer);
        this.ready = false;
        for (const answer of this.metricsWaiting.values()) answer([]);
        this.metricsWaiting.clear();
        if (!started) return reject(new Error(`the subscription process exited while starting (${signal ?? `code ${code}`})`));
        if (this.stopping) return;
        this.logger.error({ code, signal, restartInMs: this.restartDelay }, 'the subscription process ended; starting it again');
        this.restartSoon();
      });
      child.send({ type: 'start', config: this.config } satisfies ToSubscriptionProcess);
    });
  }
}

/** Answers an upgrade request that will not become a WebSocket, and closes its socket. */
function refuse(socket: Socket, status: 404 | 503, reason: string): void {
  const title = status === 404 ? 'Not Found' : 'Service Unavailable';
  const retry = status === 503 ? 'Retry-After: 5\r\n' : '';
  socket.end(
    `HTTP/1.1 ${status} ${title}\r\nConnection: close\r\nContent-Type: text/plain\r\n${retry}Content-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`,
  );
}
