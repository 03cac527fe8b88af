import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import { SharedOrLocal, type RedisFallbackMonitor } from '../shared/redis-fallbacks';

/**
 * One robot's send limit as a token bucket: `burst` tokens at most, refilled at
 * `perMinute - burst` a minute, so that no window of 60 seconds holds more than `perMinute`
 * sends — what DingTalk's "20 a minute" means, wherever the minute starts.
 */
export interface RobotLimit {
  /** The robot's identity, hashed (webhook token, bot token + chat …): channels sharing a robot share its bucket. */
  key: string;
  perMinute: number;
  burst: number;
}

/** A limit as configured: the type's documented one, or a channel's own. */
export interface RateLimitSetting {
  perMinute: number;
  burst?: number;
}

/** The limit in force: the channel's own setting over the type's default; a setting without a burst gets half its limit. */
export function effectiveLimit(
  typeDefault: { perMinute: number; burst: number } | undefined,
  override: RateLimitSetting | null | undefined,
): { perMinute: number; burst: number } | null {
  if (override) return { perMinute: override.perMinute, burst: override.burst ?? Math.ceil(override.perMinute / 2) };
  return typeDefault ?? null;
}

/** The bucket of the robot `identity` (hashed: never stored or sent in clear) under `limit`. */
export function robotLimit(type: string, identity: string, limit: { perMinute: number; burst: number }): RobotLimit {
  const hash = createHash('sha256').update(identity).digest('base64url').slice(0, 22);
  return { key: `${type}:${hash}`, perMinute: limit.perMinute, burst: Math.min(limit.burst, limit.perMinute) };
}

/** Tokens per millisecond: what is left of the minute's allowance after the burst. A limit of one a minute refills one a minute. */
const refillPerMs = (limit: RobotLimit): number => Math.max(limit.perMinute - limit.burst, 1) / 60_000;

/**
 * Token buckets by robot. `take` answers 0 when a message costing `cost` requests may go now
 * (the tokens taken), else the milliseconds until it may. A cost above the burst counts as the burst.
 */
export interface TokenBuckets {
  take(limit: RobotLimit, cost?: number): Promise<number>;
  /** Gives back the tokens taken for a send that did not happen. */
  refund(limit: RobotLimit, cost?: number): Promise<void>;
}

/** The embedded store: buckets in this process. */
export class InProcessTokenBuckets implements TokenBuckets {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  async take(limit: RobotLimit, cost = 1): Promise<number> {
    const bucket = this.refilled(limit);
    const need = Math.min(cost, limit.burst);
    if (bucket.tokens >= need) {
      bucket.tokens -= need;
      return 0;
    }
    return Math.ceil((need - bucket.tokens) / refillPerMs(limit));
  }

  async refund(limit: RobotLimit, cost = 1): Promise<void> {
    const bucket = this.refilled(limit);
    bucket.tokens = Math.min(limit.burst, bucket.tokens + Math.min(cost, limit.burst));
  }

  private refilled(limit: RobotLimit): { tokens: number; at: number } {
    const now = Date.now();
    let bucket = this.buckets.get(limit.key);
    if (!bucket) this.buckets.set(limit.key, (bucket = { tokens: limit.burst, at: now }));
    bucket.tokens = Math.min(limit.burst, bucket.tokens + (now - bucket.at) * refillPerMs(limit));
    bucket.at = now;
    return bucket;
  }
}

// Refill by Redis's own clock (replicas' clocks may disagree), then take one token or answer the
// wait. ARGV: capacity, tokens per ms, tokens to take (negative: to give back).
const BUCKET_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local cap = tonumber(ARGV[1])
local rate = tonumber(ARGV[2])
local stored = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens = tonumber(stored[1]) or cap
local at = tonumber(stored[2]) or now
tokens = math.min(cap, tokens + math.max(0, now - at) * rate)
local need = tonumber(ARGV[3])
local wait = 0
if need > 0 then
  if tokens >= need then tokens = tokens - need else wait = math.ceil((need - tokens) / rate) end
else
  tokens = math.min(cap, tokens - need)
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil(cap / rate) + 60000)
return wait
`;

interface BucketCommands {
  robotBucket(numKeys: number, key: string, capacity: string, rate: string, tokens: string): Promise<number>;
}

/** The scale-out store: buckets in Redis, so every replica draws on the same allowance. */
export class RedisTokenBuckets implements TokenBuckets {
  private readonly commands: BucketCommands;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    if (!('robotBucket' in redis)) redis.defineCommand('robotBucket', { lua: BUCKET_SCRIPT });
    this.commands = redis as unknown as BucketCommands;
  }

  async take(limit: RobotLimit, cost = 1): Promise<number> {
    return Number(
      await this.commands.robotBucket(
        1,
        this.key(limit),
        String(limit.burst),
        String(refillPerMs(limit)),
        String(Math.min(cost, limit.burst)),
      ),
    );
  }

  async refund(limit: RobotLimit, cost = 1): Promise<void> {
    await this.commands.robotBucket(
      1,
      this.key(limit),
      String(limit.burst),
      String(refillPerMs(limit)),
      String(-Math.min(cost, limit.burst)),
    );
  }

  private key(limit: RobotLimit): string {
    return `${this.keyPrefix}:robot:${limit.key}`;
  }
}

/** Buckets in Redis while it answers, in this process when it does not: a send never waits on Redis. */
export class FallbackTokenBuckets implements TokenBuckets {
  private readonly stores: SharedOrLocal<TokenBuckets>;

  constructor(shared: TokenBuckets, monitor: RedisFallbackMonitor) {
    this.stores = new SharedOrLocal<TokenBuckets>(shared, new InProcessTokenBuckets(), monitor, 'robot-limits', 1_000);
  }

  take(limit: RobotLimit, cost = 1): Promise<number> {
    return this.stores.call((buckets) => buckets.take(limit, cost));
  }

  refund(limit: RobotLimit, cost = 1): Promise<void> {
    return this.stores.call((buckets) => buckets.refund(limit, cost));
  }
}
