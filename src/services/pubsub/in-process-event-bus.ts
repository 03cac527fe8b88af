import type { EventBus } from './event-bus';
import { LocalFanout, type IterateOptions } from './event-bus';
import type { EventMap, EventName } from './event-map';

/** The embedded-mode bus: events reach subscribers of this process only. */
export class InProcessEventBus implements EventBus {
  private readonly fanout = new LocalFanout();

  async publish<N extends EventName>(name: N, payload: EventMap[N]): Promise<void> {
    // A round trip through JSON keeps payloads exactly as a Redis subscriber would see them.
    this.fanout.emit(name, JSON.parse(JSON.stringify(payload)));
  }

  subscribe<N extends EventName>(name: N, options?: IterateOptions): AsyncIterableIterator<EventMap[N]> {
    return this.fanout.iterate<EventMap[N]>(name, options);
  }

  async close(): Promise<void> {}
}
