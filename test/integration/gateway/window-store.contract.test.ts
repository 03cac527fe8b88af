import type { Redis } from 'ioredis';
import { InProcessWindowStore, RedisWindowStore, type WindowStore } from '../../../src/services/gateway/window-store';
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
      return { store: new RedisWindowStore(redis, prefix.prefix) as WindowStore, close: async () => (await redis.quit(), await prefix.cleanup()) };
    },
  ],
])('window store contract: %s', (_name, make) => {
  let harness: ReturnType<typeof make>;
  beforeEach(() => (harness = make()));
  afterEach(() => harness.close());

  it('gives the window to the first claimant and counts the others', async () => {
    expect(await harness.store.claim('k', 'r1', 10_000)).toMatchObject({ owner: 'r1', count: 1 });
    expect(await harness.store.claim('k', 'r2', 10_000)).toMatchObject({ owner: 'r1', count: 2 });
    const third = await harness.store.claim('k', 'r3', 10_000);
    expect(third).toMatchObject({ owner: 'r1', count: 3 });
    expect(third.expiresAt - Date.now()).toBeGreaterThan(9_000);
    expect(await harness.store.peek('k')).toMatchObject({ owner: 'r1', count: 3 });
    expect(await harness.store.peek('missing')).toBeNull();
  });

  it('does not count the owner claiming again (a receipt reprocessed after a crash)', async () => {
    await harness.store.claim('k', 'r1', 10_000);
    expect(await harness.store.claim('k', 'r1', 10_000)).toMatchObject({ owner: 'r1', count: 1 });
  });

  it('opens a new window once the old one expires or is closed', async () => {
    await harness.store.claim('short', 'r1', 50);
    await new Promise((r) => setTimeout(r, 120));
    expect((await harness.store.claim('short', 'r2', 50)).owner).toBe('r2');
    await harness.store.claim('k', 'r1', 10_000);
    await harness.store.close('k');
    expect((await harness.store.claim('k', 'r3', 10_000)).owner).toBe('r3');
  });
});
