import { Redis } from 'ioredis';

/**
 * Opens a Redis connection as the queue needs it: commands wait for a reconnect instead of
 * failing after a few retries, so a Redis restart delays work rather than dropping it.
 */
export function connectRedis(url: string, connectionName: string, options: { autoPipelining?: boolean } = {}): Redis {
  return new Redis(url, {
    connectionName,
    // Commands issued in one tick go out in one write: the gateway's per-alert claims and events
    // would otherwise cost one socket write each.
    enableAutoPipelining: options.autoPipelining ?? false,
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
  });
}

export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer from Redis within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([redis.ping(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
