import type { Redis } from 'ioredis';
import { FallbackWindowStore, InProcessWindowStore, RedisWindowStore, type WindowStore } from '../../../src/services/gateway/window-store';
import { connectRedis } from '../../../src/services/shared/redis';
import { TEST_REDIS_URL } from '../../support/env';
import { testRedisPrefix } from '../../support/redis';

describe.each([
  ['in-process', () => ({ store: new InProcessWindowStore() as WindowStore, close: async () => {} })],
  [
    'Redis',
    () => {
      const prefix = testRedisPrefix();
      const redis: Redis = connectRedis(TEST_REDIS_URL, 'window-test');
      return {
        store: new RedisWindowStore(redis, prefix.prefix) as WindowStore,
        close: async () => (await redis.quit(), await prefix.cleanup()),
      };
    },
  ],
  [
    'Redis with a fallback, Redis answering',
    async () => {
      const prefix = testRedisPrefix();
      const redis: Redis = connectRedis(TEST_REDIS_URL, 'window-test', { failFastMs: 1_000 });
      // Until the connection is ready a fail-fast connection refuses commands (and the store falls back).
      await new Promise((resolve) => redis.once('ready', resolve));
      const store = new FallbackWindowStore(new RedisWindowStore(redis, prefix.prefix), {
        fellBack: (_use, err) => {
          throw err;
        },
        recovered: () => {},
      });
      return { store: store as WindowStore, close: async () => (await redis.quit(), await prefix.cleanup()) };
    },
  ],
  [
    'Redis with a fallback, Redis unreachable',
    () => {
      const redis: Redis = connectRedis('redis://127.0.0.1:1', 'window-test', { failFastMs: 100 });
      return {
        store: new FallbackWindowStore(new RedisWindowStore(redis, 'unreachable'), {
          fellBack: () => {},
          recovered: () => {},
        }) as WindowStore,
        close: async () => redis.disconnect(),
      };
    },
  ],
])('window store contract: %s', (_name, make) => {
  let harness: Awaited<ReturnType<typeof make>>;
  beforeEach(async () => (harness = await make()));
  afterEach(() => harness.close());
  const claim = async (key: string, owner: string, windowMs: number) => (await harness.store.claim([key], owner, windowMs))[0];

  it('gives the window to the first claimant and counts the others', async () => {
    expect(await claim('k', 'r1', 10_000)).toMatchObject({ owner: 'r1', count: 1 });
    expect(await claim('k', 'r2', 10_000)).toMatchObject({ owner: 'r1', count: 2 });
    const third = await claim('k', 'r3', 10_000);
    expect(third).toMatchObject({ owner: 'r1', count: 3 });
    expect(third.expiresAt - Date.now()).toBeGreaterThan(9_000);
    expect(await harness.store.peek('k')).toMatchObject({ owner: 'r1', count: 3 });
    expect(await harness.store.peek('missing')).toBeNull();
  });

  it('does not count the owner claiming again (a receipt reprocessed after a crash)', async () => {
    await claim('k', 'r1', 10_000);
    expect(await claim('k', 'r1', 10_000)).toMatchObject({ owner: 'r1', count: 1 });
  });

  it('opens a new window once the old one expires or is closed', async () => {
    await claim('short', 'r1', 50);
    await new Promise((r) => setTimeout(r, 120));
    expect((await claim('short', 'r2', 50)).owner).toBe('r2');
    await claim('k', 'r1', 10_000);
    await harness.store.close(['k']);
    expect((await claim('k', 'r3', 10_000)).owner).toBe('r3');
  });

  it('claims many windows in one call, each answered in order', async () => {
    await claim('b', 'r0', 10_000);
    const claims = await harness.store.claim(['a', 'b', 'c'], 'r1', 10_000);
    expect(claims.map((c) => [c.owner, c.count])).toEqual([
      ['r1', 1],
      ['r0', 2],
      ['r1', 1],
    ]);
    expect(await harness.store.claim([], 'r1', 10_000)).toEqual([]);
  });

  it('hands a window over only from its current owner, and releases only what the owner holds', async () => {
    await claim('k', 'dead', 10_000);
    expect(await harness.store.takeOver('k', 'someone-else', 'r2')).toBe(false);
    expect(await harness.store.takeOver('k', 'dead', 'r2')).toBe(true);
    expect(await harness.store.peek('k')).toMatchObject({ owner: 'r2', count: 1 });
    await claim('other', 'r3', 10_000);
    await harness.store.release(['k', 'other'], 'r2');
    expect(await harness.store.peek('k')).toBeNull();
    expect(await harness.store.peek('other')).toMatchObject({ owner: 'r3' });
  });
});
