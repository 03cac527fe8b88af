import type { Redis } from 'ioredis';
import { InProcessFlapStore, RedisFlapStore, type FlapStore } from '../../../src/services/gateway/flap-store';
import { connectRedis } from '../../../src/services/shared/redis';
import { TEST_REDIS_URL } from '../../support/env';
import { testRedisPrefix } from '../../support/redis';

const settings = { changes: 3, windowMs: 60_000, quietMs: 10_000 };

describe.each([
  ['in-process', () => ({ store: new InProcessFlapStore() as FlapStore, close: async () => {} })],
  [
    'Redis',
    () => {
      const prefix = testRedisPrefix();
      const redis: Redis = connectRedis(TEST_REDIS_URL, 'flap-test');
      return {
        store: new RedisFlapStore(redis, prefix.prefix) as FlapStore,
        close: async () => (await redis.quit(), await prefix.cleanup()),
      };
    },
  ],
])('flap store contract: %s', (_name, make) => {
  let store: FlapStore;
  let close: () => Promise<void>;

  beforeEach(async () => ({ store, close } = await make()));
  afterEach(async () => close());

  it('counts changes (not repeats) and turns flapping at the threshold, once', async () => {
    const t = 1_000_000;
    expect(await store.observe('a', 'firing', '{}', t, settings)).toMatchObject({ changes: 0, flapping: false });
    expect(await store.observe('a', 'firing', '{}', t + 1, settings)).toMatchObject({ changes: 0, flapping: false });
    expect(await store.observe('a', 'resolved', '{}', t + 2, settings)).toMatchObject({ changes: 1 });
    expect(await store.observe('a', 'firing', '{}', t + 3, settings)).toMatchObject({ changes: 2, flapping: false });
    expect(await store.observe('a', 'resolved', '{"x":1}', t + 4, settings)).toEqual({
      changes: 3,
      flapping: true,
      becameFlapping: true,
      changedAt: t + 4,
    });
    expect(await store.observe('a', 'firing', '{"x":2}', t + 5, settings)).toEqual({
      changes: 4,
      flapping: true,
      becameFlapping: false,
      changedAt: t + 5,
    });
    expect(await store.observe('b', 'firing', '{}', t + 5, settings)).toMatchObject({ changes: 0, flapping: false });
  });

  it('forgets changes older than the window', async () => {
    const t = 2_000_000;
    await store.observe('c', 'firing', '{}', t, settings);
    await store.observe('c', 'resolved', '{}', t + 1, settings);
    await store.observe('c', 'firing', '{}', t + 2, settings);
    expect(await store.observe('c', 'resolved', '{}', t + 70_000, settings)).toMatchObject({ changes: 1, flapping: false });
  });

  it('settles once, after the quiet time, with the last status and alert', async () => {
    const t = 3_000_000;
    for (const [i, status] of ['firing', 'resolved', 'firing', 'resolved'].entries())
      await store.observe('d', status, `{"i":${i}}`, t + i, settings);
    expect(await store.settle('d', t + 3 + 5_000, settings.quietMs)).toBeNull();
    expect(await store.settle('d', t + 3 + 10_000, settings.quietMs)).toEqual({ status: 'resolved', alert: '{"i":3}', changes: 3 });
    expect(await store.settle('d', t + 3 + 20_000, settings.quietMs)).toBeNull();
    expect(await store.settle('never-seen', t, settings.quietMs)).toBeNull();
  });
});
