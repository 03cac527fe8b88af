import { Redis } from 'ioredis';

export interface RedisConnectionOptions {
  /** Commands issued in one tick go out in one write (the gateway's claims and events). */
  autoPipelining?: boolean;
  /**
   * For connections on the alert path: a command fails at once while Redis is unreachable and
   * after this many milliseconds when it is slow, so the caller can go on without it. Without it,
   * commands wait for a reconnect (what the queue wants: a Redis restart delays jobs, never drops them).
   */
  failFastMs?: number;
}

/** Opens a Redis connection; see RedisConnectionOptions for the two behaviours during an outage. */
export function connectRedis(url: string, connectionName: string, options: RedisConnectionOptions = {}): Redis {
  return new Redis(url, {
    connectionName,
    enableAutoPipelining: options.autoPipelining ?? false,
    enableReadyCheck: true,
    retryStrategy: (times) => Math.min(times * 200, 5_000),
    ...(options.failFastMs
      ? { enableOfflineQueue: false, commandTimeout: options.failFastMs, maxRetriesPerRequest: 0 }
      : { maxRetriesPerRequest: null }),
  });
}

export async function pingRedis(redis: Redis, timeoutMs = 1_000): Promise<void> {
  if (redis.status !== 'ready') throw new Error(`not connected to Redis (${redis.status})`);
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
