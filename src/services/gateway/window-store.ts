import type { Redis } from 'ioredis';

/** Who opened a window and how many times it was hit since. */
export interface WindowClaim {
  owner: string;
  count: number;
  /** When the window closes (epoch ms). */
  expiresAt: number;
}

/**
 * Time windows keyed by e.g. fingerprint: the first claimant owns the window until it expires;
 * later claimants are counted. A claim by the owner again (a receipt processed twice after a
 * crash) is not counted, so reprocessing never turns the original into a duplicate.
 */
export interface WindowStore {
  claim(key: string, owner: string, windowMs: number): Promise<WindowClaim>;
  /** The window as it stands, without claiming; null once it has closed. */
  peek(key: string): Promise<WindowClaim | null>;
  /** Ends a window early (a resolved alert ends its firing window). */
  close(key: string): Promise<void>;
  /** Hands a window from `from` to `to` as if `to` had opened it; false when `from` no longer owns it. */
  takeOver(key: string, from: string, to: string): Promise<boolean>;
  /** Closes the window if `owner` still owns it. */
  release(key: string, owner: string): Promise<void>;
}

/** The embedded-mode store: windows in this process only. */
export class InProcessWindowStore implements WindowStore {
  private readonly windows = new Map<string, { owner: string; count: number; expires: number }>();

  async claim(key: string, owner: string, windowMs: number): Promise<WindowClaim> {
    const now = Date.now();
    if (this.windows.size > 100_000) for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
    const current = this.windows.get(key);
    if (!current || current.expires <= now) {
      this.windows.set(key, { owner, count: 1, expires: now + windowMs });
      return { owner, count: 1, expiresAt: now + windowMs };
    }
    if (current.owner !== owner) current.count += 1;
    return { owner: current.owner, count: current.count, expiresAt: current.expires };
  }

  async peek(key: string): Promise<WindowClaim | null> {
    const current = this.windows.get(key);
    if (!current || current.expires <= Date.now()) return null;
    return { owner: current.owner, count: current.count, expiresAt: current.expires };
  }

  async close(key: string): Promise<void> {
    this.windows.delete(key);
  }

  async takeOver(key: string, from: string, to: string): Promise<boolean> {
    const current = this.windows.get(key);
    if (!current || current.expires <= Date.now() || current.owner !== from) return false;
    Object.assign(current, { owner: to, count: 1 });
    return true;
  }

  async release(key: string, owner: string): Promise<void> {
    if (this.windows.get(key)?.owner === owner) this.windows.delete(key);
  }
}

// One round trip, atomic: create the window, or count a claim by someone other than the owner.
const CLAIM_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then
  redis.call('HSET', KEYS[1], 'owner', ARGV[1], 'count', 1)
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return {ARGV[1], 1, tonumber(ARGV[2])}
end
if owner == ARGV[1] then
  return {owner, tonumber(redis.call('HGET', KEYS[1], 'count')), redis.call('PTTL', KEYS[1])}
end
return {owner, redis.call('HINCRBY', KEYS[1], 'count', 1), redis.call('PTTL', KEYS[1])}
`;

const PEEK_SCRIPT = `
local owner = redis.call('HGET', KEYS[1], 'owner')
if not owner then return nil end
return {owner, tonumber(redis.call('HGET', KEYS[1], 'count')), redis.call('PTTL', KEYS[1])}
`;

const TAKE_OVER_SCRIPT = `
if redis.call('HGET', KEYS[1], 'owner') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'owner', ARGV[2], 'count', 1)
return 1
`;

const RELEASE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'owner') == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`;

/** The scale-out store: windows in Redis, so every gateway replica agrees. */
export class RedisWindowStore implements WindowStore {
  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {}

  async claim(key: string, owner: string, windowMs: number): Promise<WindowClaim> {
    const [winner, count, ttl] = (await this.redis.eval(CLAIM_SCRIPT, 1, this.key(key), owner, String(windowMs))) as [string, number, number];
    return { owner: winner, count: Number(count), expiresAt: Date.now() + Math.max(0, Number(ttl)) };
  }

  async peek(key: string): Promise<WindowClaim | null> {
    const found = (await this.redis.eval(PEEK_SCRIPT, 1, this.key(key))) as [string, number, number] | null;
    if (!found) return null;
    return { owner: found[0], count: Number(found[1]), expiresAt: Date.now() + Math.max(0, Number(found[2])) };
  }

  async close(key: string): Promise<void> {
    await this.redis.del(this.key(key));
  }

  async takeOver(key: string, from: string, to: string): Promise<boolean> {
    return Number(await this.redis.eval(TAKE_OVER_SCRIPT, 1, this.key(key), from, to)) === 1;
  }

  async release(key: string, owner: string): Promise<void> {
    await this.redis.eval(RELEASE_SCRIPT, 1, this.key(key), owner);
  }

  private key(key: string): string {
    return `${this.keyPrefix}:window:${key}`;
  }
}
