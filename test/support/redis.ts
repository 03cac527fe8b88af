import { Redis } from 'ioredis';
import { TEST_REDIS_URL, uniqueSuffix } from './env';

/** A key prefix of the suite's own; `cleanup` removes every key under it. */
export function testRedisPrefix(): { prefix: string; cleanup(): Promise<void> } {
  const prefix = `aatest_${uniqueSuffix()}`;
  return {
    prefix,
    async cleanup() {
      const redis = new Redis(TEST_REDIS_URL);
      try {
        let cursor = '0';
        do {
          const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
          cursor = next;
          if (keys.length > 0) await redis.del(...keys);
        } while (cursor !== '0');
      } finally {
        redis.disconnect();
      }
    },
  };
}
