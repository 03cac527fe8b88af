import type { EventMap, EventName } from './event-map';

/** Publishes typed events and hands out async iterators of them; one implementation per mode. */
export interface EventBus {
  publish<N extends EventName>(name: N, payload: EventMap[N]): Promise<void>;
  /** Iterates events of `name` from now on; `return()` on the iterator unsubscribes. */
  subscribe<N extends EventName>(name: N, options?: IterateOptions): AsyncIterableIterator<EventMap[N]>;
  close(): Promise<void>;
}

type Listener = (payload: unknown) => void;

export interface IterateOptions {
  /**
   * Events that waited longer than this for the reader are skipped (and counted by `onStale`):
   * a reader that fell behind gets what is happening now instead of a growing backlog. For
   * readers that show events (subscriptions), never for those that must see every event (caches).
   */
  maxLagMs?: number;
  onStale?(count: number): void;
}

/**
 * Fans events out to local subscribers. Each subscriber has a bounded buffer so a stalled
 * client costs memory up to the bound, then loses its oldest events rather than the process.
 */
export class LocalFanout {
  private readonly listeners = new Map<string, Set<Listener>>();

  constructor(
    private readonly bufferLimit = 10_000,
    private readonly onFirstListener: (name: string) => void = () => {},
    private readonly onLastListener: (name: string) => void = () => {},
  ) {}

  emit(name: string, payload: unknown): void {
    for (const listener of this.listeners.get(name) ?? []) listener(payload);
  }

  iterate<T>(name: string, options: IterateOptions = {}): AsyncIterableIterator<T> {
    const buffered: Array<{ payload: T; at: number }> = [];
    const waiting: Array<(result: IteratorResult<T>) => void> = [];
    let done = false;
    const listener: Listener = (payload) => {
      const next = waiting.shift();
      if (next) return next({ value: payload as T, done: false });
      if (buffered.length >= this.bufferLimit) buffered.shift();
      buffered.push({ payload: payload as T, at: performance.now() });
    };
    const skipStale = () => {
      if (!options.maxLagMs || buffered.length === 0) return;
      const oldest = performance.now() - options.maxLagMs;
      let stale = 0;
      while (stale < buffered.length && buffered[stale].at < oldest) stale += 1;
      if (stale === 0) return;
      buffered.splice(0, stale);
      options.onStale?.(stale);
    };
    this.add(name, listener);
    const finish = (): Promise<IteratorResult<T>> => {
      if (!done) {
        done = true;
        this.remove(name, listener);
        for (const resolve of waiting.splice(0)) resolve({ value: undefined, done: true });
      }
      return Promise.resolve({ value: undefined, done: true });
    };
    return {
      next: () => {
        skipStale();
        if (buffered.length > 0) return Promise.resolve({ value: buffered.shift()!.payload, done: false });
        if (done) return Promise.resolve({ value: undefined, done: true });
        return new Promise((resolve) => waiting.push(resolve));
      },
      return: finish,
      throw: async (error: unknown) => {
        await finish();
        throw error;
      },
      [Symbol.asyncIterator]() {
        return this;
      },
    };
  }

  private add(name: string, listener: Listener): void {
    let set = this.listeners.get(name);
    if (!set) {
      set = new Set();
      this.listeners.set(name, set);
    }
    set.add(listener);
    if (set.size === 1) this.onFirstListener(name);
  }

  private remove(name: string, listener: Listener): void {
    const set = this.listeners.get(name);
    if (!set?.delete(listener)) return;
    if (set.size === 0) {
      this.listeners.delete(name);
      this.onLastListener(name);
    }
  }
}
