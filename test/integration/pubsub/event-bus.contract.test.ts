import { createLogger } from '../../../src/shared/logger';
import type { EventBus } from '../../../src/services/pubsub/event-bus';
import { InProcessEventBus } from '../../../src/services/pubsub/in-process-event-bus';
import { RedisEventBus } from '../../../src/services/pubsub/redis-event-bus';
import { connectRedis } from '../../../src/services/shared/redis';
import { TEST_REDIS_URL } from '../../support/env';
import { testRedisPrefix } from '../../support/redis';

const logger = createLogger('silent');
const event = (n: number) => ({ at: new Date(n).toISOString() });

/** Two buses that should see each other's events: the same object in-process, two connections' worth on Redis. */
function inProcessPair(): { a: EventBus; b: EventBus; close(): Promise<void> } {
  const bus = new InProcessEventBus();
  return { a: bus, b: bus, close: () => bus.close() };
}

/** Redis confirms a SUBSCRIBE asynchronously: wait until it counts the subscriber (a fixed pause was too short on a busy machine). */
let subscribed: (() => Promise<void>) | null = null;

function redisPair(): { a: EventBus; b: EventBus; close(): Promise<void> } {
  const { prefix, cleanup } = testRedisPrefix();
  const connections = Array.from({ length: 5 }, (_, i) => connectRedis(TEST_REDIS_URL, `bus-${i}`));
  subscribed = async () => {
    for (let waited = 0; waited < 10_000; waited += 20) {
      const counts = (await connections[4].pubsub('NUMSUB', `${prefix}:events:routes.changed`)) as Array<string | number>;
      if (Number(counts[1]) > 0) return;
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  const a = new RedisEventBus(connections[0], connections[1], prefix, logger);
  const b = new RedisEventBus(connections[2], connections[3], prefix, logger);
  return {
    a,
    b,
    close: async () => {
      await a.close();
      await b.close();
      await Promise.all(connections.map((c) => c.quit()));
      await cleanup();
    },
  };
}

/** Waits until a subscription is live before publishing. */
const settle = async () => {
  await new Promise((r) => setTimeout(r, 100));
  await subscribed?.();
};

describe.each([
  ['in-process', inProcessPair],
  ['Redis pub/sub', redisPair],
])('event bus contract: %s', (_name, makePair) => {
  let pair: ReturnType<typeof inProcessPair>;

  beforeEach(() => {
    subscribed = null;
    pair = makePair();
  });
  afterEach(() => pair.close());

  it('delivers published events in order, as plain JSON', async () => {
    const events = pair.b.subscribe('routes.changed');
    await settle();
    await pair.a.publish('routes.changed', event(1));
    await pair.a.publish('routes.changed', event(2));
    expect((await events.next()).value).toEqual(event(1));
    expect((await events.next()).value).toEqual(event(2));
    await events.return?.();
  });

  it('gives every subscriber its own copy', async () => {
    const first = pair.b.subscribe('routes.changed');
    const second = pair.b.subscribe('routes.changed');
    await settle();
    await pair.a.publish('routes.changed', event(3));
    expect((await first.next()).value).toEqual(event(3));
    expect((await second.next()).value).toEqual(event(3));
    await first.return?.();
    await second.return?.();
  });

  it('stops delivering after the subscriber returns, and ends pending reads', async () => {
    const events = pair.b.subscribe('routes.changed');
    const pending = events.next();
    await events.return?.();
    expect(await pending).toEqual({ value: undefined, done: true });
    await pair.a.publish('routes.changed', event(4));
    expect(await events.next()).toEqual({ value: undefined, done: true });
  });

  it('skips what a reader with a lag bound did not take in time, counting it; a reader without one gets everything', async () => {
    const stale: number[] = [];
    const bounded = pair.b.subscribe('routes.changed', { maxLagMs: 150, onStale: (count) => stale.push(count) });
    const everything = pair.b.subscribe('routes.changed');
    await settle();
    for (let n = 10; n < 13; n += 1) await pair.a.publish('routes.changed', event(n));
    // Nobody reads for longer than the bound; then one more event comes, and the bounded reader reads.
    await new Promise((r) => setTimeout(r, 300));
    await pair.a.publish('routes.changed', event(13));
    await new Promise((r) => setTimeout(r, 30));
    expect((await bounded.next()).value).toEqual(event(13));
    expect(stale).toEqual([3]);
    for (let n = 10; n < 14; n += 1) expect((await everything.next()).value).toEqual(event(n));
    await bounded.return?.();
    await everything.return?.();
  });

  it('keeps topics apart', async () => {
    const audit = pair.b.subscribe('audit.recorded');
    const flags = pair.b.subscribe('routes.changed');
    await settle();
    await pair.a.publish('routes.changed', event(5));
    expect((await flags.next()).value).toEqual(event(5));
    const raced = await Promise.race([audit.next(), new Promise((r) => setTimeout(() => r('nothing'), 150))]);
    expect(raced).toBe('nothing');
    await audit.return?.();
    await flags.return?.();
  });
});
