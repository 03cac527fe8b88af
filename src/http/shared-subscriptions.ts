import { subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';
import { LocalFanout } from '../services/pubsub/event-bus';

type Results = AsyncIterator<ExecutionResult> & { return?(): Promise<IteratorResult<ExecutionResult>> };

export interface SharedSubscriptionsHooks {
  /** A subscriber fell behind by a whole buffer: it lost its oldest results. */
  onDropped(): void;
  /** The number of distinct executions changed. */
  onSources(count: number): void;
}

/**
 * Subscribers who ask the same thing with the same rights share one execution: each event is
 * resolved once per distinct (document, operation, variables, grant), however many sockets wait
 * for it, and every socket reads the shared results through its own bounded buffer.
 */
export class SharedSubscriptions {
  private readonly fanout: LocalFanout;
  /** Running executions by key, and those being started (so concurrent first subscribers start one). */
  private readonly sources = new Map<string, Results>();
  private readonly starting = new Map<string, Promise<ExecutionResult | null>>();

  constructor(
    bufferLimit: number,
    private readonly hooks: SharedSubscriptionsHooks,
  ) {
    this.fanout = new LocalFanout(bufferLimit, () => {}, (key) => this.stop(key), () => hooks.onDropped());
  }

  /** A subscriber's results: the shared stream of `key`, or the error result its execution answered with. */
  async subscribe(args: ExecutionArgs, key: string, run: <T>(fn: () => T) => T): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    if (!this.sources.has(key)) {
      let started = this.starting.get(key);
      if (!started) {
        started = this.start(args, key, run).finally(() => this.starting.delete(key));
        this.starting.set(key, started);
      }
      const refused = await started;
      if (refused) return refused;
    }
    return this.fanout.iterate<ExecutionResult>(key);
  }

  private async start(args: ExecutionArgs, key: string, run: <T>(fn: () => T) => T): Promise<ExecutionResult | null> {
    const result = await run(() => subscribe(args));
    if (!(Symbol.asyncIterator in result)) return result;
    const source = result as Results;
    this.sources.set(key, source);
    this.hooks.onSources(this.sources.size);
    void this.pump(key, source);
    return null;
  }

  private async pump(key: string, source: Results): Promise<void> {
    try {
      for (let next = await source.next(); !next.done; next = await source.next()) this.fanout.emit(key, next.value);
    } catch (err) {
      this.fanout.emit(key, { errors: [err instanceof Error ? err : new Error(String(err))] } as unknown as ExecutionResult);
    } finally {
      if (this.sources.get(key) === source) {
        this.sources.delete(key);
        this.hooks.onSources(this.sources.size);
        this.fanout.end(key);
      }
    }
  }

  private stop(key: string): void {
    const source = this.sources.get(key);
    if (!source) return;
    this.sources.delete(key);
    this.hooks.onSources(this.sources.size);
    void source.return?.();
  }
}
