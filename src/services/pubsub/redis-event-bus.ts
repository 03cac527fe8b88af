import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger';
import type { RedisFallbackMonitor } from '../shared/redis-fallbacks';
import { settleWithin } from '../shared/settle-within';
import type { EventBus } from './event-bus';
import { LocalFanout, type IterateOptions } from './event-bus';
import type { EventMap, EventName } from './event-map';

/**
 * The scale-out bus: events go through Redis pub/sub so a subscriber on any replica sees
 * what any replica publishes. One subscriber connection per process; channels are joined
 * while at least one local subscriber wants them. Events of one name published in the same
 * turn of the event loop travel as one message (a JSON array), so a busy gateway sends one
 * command per turn instead of one per alert. While Redis cannot be reached, events still reach
 * this process's own subscribers.
 */
export class RedisEventBus implements EventBus {
  private readonly fanout: LocalFanout;
  private readonly pending = new Set<Promise<unknown>>();
  private readonly outgoing = new Map<string, { payloads: unknown[]; sent: Promise<void> }>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
    private readonly monitor?: RedisFallbackMonitor,
  ) {
    this.fanout = new LocalFanout(
      10_000,
      (name) => this.track(this.subscriber.subscribe(this.channel(name)), 'subscribe', name),
      (name) => this.track(this.subscriber.unsubscribe(this.channel(name)), 'unsubscribe', name),
    );
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
  }

  publish<N extends EventName>(name: N, payload: EventMap[N]): Promise<void> {
    const waiting = this.outgoing.get(name);
    if (waiting) {
      waiting.payloads.push(payload);
      return waiting.sent;
    }
    const payloads: unknown[] = [payload];
    const sent = new Promise<void>((resolve, reject) =>
      setImmediate(() => {
        this.outgoing.delete(name);
        this.publisher.publish(this.channel(name), JSON.stringify(payloads)).then(
          () => {
            this.monitor?.recovered('events');
            resolve();
          },
          (err) => {
            if (!this.monitor) return reject(err);
            this.monitor.fellBack('events', err);
            for (const payload of payloads) this.fanout.emit(name, payload);
            resolve();
          },
        );
      }),
    );
    this.outgoing.set(name, { payloads, sent });
    return sent;
  }

  subscribe<N extends EventName>(name: N, options?: IterateOptions): AsyncIterableIterator<EventMap[N]> {
    return this.fanout.iterate<EventMap[N]>(name, options);
  }

  /** Waits (briefly: Redis may be down) for subscription changes still on the wire, so connections close cleanly after. */
  async close(): Promise<void> {
    await settleWithin(Promise.allSettled([...this.pending]), 2_000);
    this.subscriber.removeAllListeners('message');
  }

  private track(operation: Promise<unknown>, what: string, name: string): void {
    const tracked = operation
      .catch((err) => this.logger.warn({ err, name }, `redis ${what} failed`))
      .finally(() => this.pending.delete(tracked));
    this.pending.add(tracked);
  }

  private channel(name: string): string {
    return `${this.keyPrefix}:events:${name}`;
  }

  private receive(channel: string, message: string): void {
    const prefix = `${this.keyPrefix}:events:`;
    if (!channel.startsWith(prefix)) return;
    try {
      const name = channel.slice(prefix.length);
      for (const payload of JSON.parse(message) as unknown[]) this.fanout.emit(name, payload);
    } catch (err) {
      this.logger.warn({ err, channel }, 'dropped an event that is not JSON');
    }
  }
}
