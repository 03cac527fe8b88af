import type { Redis } from 'ioredis';

/** Who opened a window and how many times it was hit since. */
export interface WindowClaim {
  owner: string;
  count: number;
}

/**
 * Time windows keyed by e.g. fingerprint: the first claimant owns the window until it expires;
 * later claimants are counted. A claim by the owner again (a receipt processed twice after a
 * crash) is not counted, so reprocessing never turns the original into a duplicate.
 */
export interface WindowStore {
  claim(key: string, owner: string, windowMs: number): Promise<WindowClaim>;
  /** Ends a window early (a resolved alert ends its firing window). */
  close(key: string): Promise<void>;
}

/** The embedded-mode store: windows in this process only. */
export class InProcessWindowStore implements WindowStore {
  private readonly windows = new Map<string, WindowClaim & { expires: number }>();

  async claim(key: string, owner: string, windowMs: number): Promise<WindowClaim> {
    const now = Date.now();
    if (this.windows.size > 100_000) for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
    const current = this.windows.get(key);
    if (!current || current.expires <= now) {
      this.windows.set(key, { owner, count: 1, expires: now + windowMs });
      return { owner, count: 1 };
    }
    if (current.owner !== owner) current.count += 1;
    return { owner: current.owner, count: current.count };
  }

  async close(key: string): Promise<void> {
    this.windows.delete(key);
  }
}

// One round trip, atomic: create the window, or count a claim by someone other than the owner.
const CLAIM_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'count', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {ARGV[1], 1}
end
if owner == ARGV[1] then
  return {owner, tonumber(redis.call('HGET', KEYS[1], 'count'))}
end
return {owner, redis.call('HINCRBY', KEYS[1], 'count', 1)}
`;

/** The scale-out store: windows in Redis, so every gateway replica agrees. */
export class RedisWindowStore implements WindowStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async claim(key: string, owner: string, windowMs: number): Promise<WindowClaim> {
    const [winner, count] = (await this.redis.eval(CLAIM_SCRIPT, 1, this.key(key), owner, String(windowMs))) as [string, number];
    return { owner: winner, count: Number(count) };
  }

  async close(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  private key(key: string): string {
    return `${this.keyPrefix}:window:${key}`;
  }
}
