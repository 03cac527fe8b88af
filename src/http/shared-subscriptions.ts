import { subscribe, type ExecutionArgs, type ExecutionResult } from 'graphql';

type Results = AsyncIterator<ExecutionResult> & { return?(): Promise<IteratorResult<ExecutionResult>> };

/** Where one subscriber's results go: `payload` is the result as UTF-8 JSON; false when the subscriber is too far behind to take it. */
export interface SubscriberSink {
  write(payload: Buffer): boolean;
}

export interface SharedSubscriptionsHooks {
  /** The result as its subscribers receive it (errors formatted), serialized once for all of them. */
  serialize(result: ExecutionResult): string;
  /** A result a subscriber could not take (its socket is backed up) was dropped for it. */
  onDropped(): void;
  /** The number of distinct executions changed. */
  onSources(count: number): void;
}

/** Subscribers written to before the event loop gets a turn for other work. */
const FANOUT_SLICE = 200;

interface Shared {
  source: Results;
  sinks: Map<SubscriberSink, () => void>;
}

/**
 * Subscribers who ask the same thing with the same rights share one execution: each event is
 * resolved and serialized once per distinct (document, operation, variables, grant), then written
 * to every subscriber's socket as it stands. A subscriber whose socket is backed up loses that
 * result (counted) rather than holding memory for it, and never slows the others.
 */
export class SharedSubscriptions {
  private readonly running = new Map<string, Shared>();
  private readonly starting = new Map<string, Promise<ExecutionResult | null>>();

  constructor(private readonly hooks: SharedSubscriptionsHooks) {}

  /**
   * Joins `sink` to the execution of `key` (starting it if needed). Returns what graphql-ws
   * iterates: an iterator that yields nothing (results go to the sink directly) and ends when the
   * execution does, or the error result the execution answered with.
   */
  async subscribe(
    args: ExecutionArgs,
    key: string,
    sink: SubscriberSink,
    run: <T>(fn: () => T) => T,
  ): Promise<AsyncIterableIterator<ExecutionResult> | ExecutionResult> {
    if (!this.running.has(key)) {
      let started = this.starting.get(key);
      if (!started) {
        started = this.start(args, key, run).finally(() => this.starting.delete(key));
        this.starting.set(key, started);
      }
      const refused = await started;
      if (refused) return refused;
    }
    const shared = this.running.get(key);
    if (!shared) return { data: null };
    let ended: (result: IteratorResult<ExecutionResult>) => void = () => {};
    const end = new Promise<IteratorResult<ExecutionResult>>((resolve) => (ended = resolve));
    const finish = () => ended({ value: undefined, done: true });
    shared.sinks.set(sink, finish);
    const leave = async (): Promise<IteratorResult<ExecutionResult>> => {
      if (shared.sinks.delete(sink) && shared.sinks.size === 0) this.stop(key, shared);
      finish();
      return { value: undefined, done: true };
    };
    const iterator: AsyncIterableIterator<ExecutionResult> = {
      next: () => end,
      return: leave,
      throw: async (error: unknown) => {
        await leave();
        throw error;
      },
      [Symbol.asyncIterator]: () => iterator,
    };
    return iterator;
  }

  private async start(args: ExecutionArgs, key: string, run: <T>(fn: () => T) => T): Promise<ExecutionResult | null> {
    const result = await run<ReturnType<typeof subscribe>>(() => subscribe(args));
    if (!(Symbol.asyncIterator in result)) return result;
    const shared: Shared = { source: result as Results, sinks: new Map() };
    this.running.set(key, shared);
    this.hooks.onSources(this.running.size);
    void this.pump(key, shared);
    return null;
  }

  private async pump(key: string, shared: Shared): Promise<void> {
    try {
      for (let next = await shared.source.next(); !next.done; next = await shared.source.next()) {
        if (shared.sinks.size === 0) continue;
        const payload = Buffer.from(this.hooks.serialize(next.value));
        const sinks = [...shared.sinks.keys()];
        for (let start = 0; start < sinks.length; start += FANOUT_SLICE) {
          // Thousands of writes in one go would keep webhooks waiting: other work runs between slices.
          if (start > 0) await new Promise((resolve) => setImmediate(resolve));
          for (let i = start; i < Math.min(start + FANOUT_SLICE, sinks.length); i += 1)
            if (!sinks[i].write(payload)) this.hooks.onDropped();
        }
      }
    } catch (err) {
      const payload = Buffer.from(
        this.hooks.serialize({ errors: [err instanceof Error ? err : new Error(String(err))] } as unknown as ExecutionResult),
      );
      for (const sink of shared.sinks.keys()) sink.write(payload);
    } finally {
      // The execution ended by itself: its subscribers are told it is complete.
      if (this.running.get(key) === shared) {
        this.running.delete(key);
        this.hooks.onSources(this.running.size);
      }
      for (const finish of shared.sinks.values()) finish();
      shared.sinks.clear();
    }
  }

  private stop(key: string, shared: Shared): void {
    if (this.running.get(key) !== shared) return;
    this.running.delete(key);
    this.hooks.onSources(this.running.size);
    void shared.source.return?.();
  }
}
