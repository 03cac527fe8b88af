import type { Redis } from 'ioredis';
import type { Logger } from '../observability/logger';
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

  constructor(
    private readonly publisher: Redis,
    private readonly subscriber: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
  ) {
    this.fanout = new LocalFanout(
      10_000,
      (name) => void this.subscriber.subscribe(this.channel(name)).catch((err) => this.logger.error({ err, name }, 'redis subscribe failed')),
      (name) => void this.subscriber.unsubscribe(this.channel(name)).catch((err) => this.logger.warn({ err, name }, 'redis unsubscribe failed')),
    );
    this.subscriber.on('message', (channel: string, message: string) => this.receive(channel, message));
  }

  async publish<N extends EventName>(name: N, payload: EventMap[N]): Promise<void> {
    await this.publisher.publish(this.channel(name), JSON.stringify(payload));
  }

  subscribe<N extends EventName>(name: N): AsyncIterableIterator<EventMap[N]> {
    return this.fanout.iterate<EventMap[N]>(name);
  }

  async close(): Promise<void> {
    this.subscriber.removeAllListeners('message');
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
