import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
import { settleWithin } from '../shared/settle-within';
import type { EventBus } from './event-bus';
import { LocalFanout } from './event-bus';
import type { EventMap, EventName } from './event-map';

/**
 * The scale-out bus: events go through Redis pub/sub so a subscriber on any replica sees
 * what any replica publishes. One subscriber connection per process; channels are joined
 * while at least one local subscriber wants them.
 */
export class RedisEventBus implements EventBus {
  private readonly fanout: LocalFanout;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {
    this.fanout = new LocalFanout(
      10_000,
      (name) => this.track(this.subscriber.subscribe(this.channel(name)), 'subscribe', name),
      (name) => this.track(this.subscriber.unsubscribe(this.channel(name)), 'unsubscribe', name),
    );
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
  }

  async publish<N extends EventName>(name: N, payload: EventMap[N]): Promise<void> {
    await this.publisher.publish(this.channel(name), JSON.stringify(payload));
  }

  subscribe<N extends EventName>(name: N): AsyncIterableIterator<EventMap[N]> {
    return this.fanout.iterate<EventMap[N]>(name);
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
      this.fanout.emit(channel.slice(prefix.length), JSON.parse(message));
    } catch (err) {
      this.logger.warn({ err, channel }, 'dropped an event that is not JSON');
    }
  }
}
