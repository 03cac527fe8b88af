import type { Redis } from 'ioredis';
import { SharedOrLocal, type RedisFallbackMonitor } from '../shared/redis-fallbacks';

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
 * Calls take many keys at once: a receipt claims all its alerts' windows in one round trip.
 */
export interface WindowStore {
  /** One claim per key, in order. */
  claim(keys: string[], owner: string, windowMs: number): Promise<WindowClaim[]>;
  /** The window as it stands, without claiming; null once it has closed. */
  peek(key: string): Promise<WindowClaim | null>;
  /** Ends windows early (a resolved alert ends its firing window). */
  close(keys: string[]): Promise<void>;
  /** Hands a window from `from` to `to` as if `to` had opened it; false when `from` no longer owns it. */
  takeOver(key: string, from: string, to: string): Promise<boolean>;
  /** Closes the windows `owner` still owns. */
  release(keys: string[], owner: string): Promise<void>;
}

/** The embedded-mode store: windows in this process only. */
export class InProcessWindowStore implements WindowStore {
  private readonly windows = new Map<string, { owner: string; count: number; expires: number }>();

  async claim(keys: string[], owner: string, windowMs: number): Promise<WindowClaim[]> {
    const now = Date.now();
    if (this.windows.size > 100_000) for (const [k, w] of this.windows) if (w.expires <= now) this.windows.delete(k);
    return keys.map((key) => {
      const current = this.windows.get(key);
      if (!current || current.expires <= now) {
        this.windows.set(key, { owner, count: 1, expires: now + windowMs });
        return { owner, count: 1, expiresAt: now + windowMs };
      }
      if (current.owner !== owner) current.count += 1;
      return { owner: current.owner, count: current.count, expiresAt: current.expires };
    });
  }

  async peek(key: string): Promise<WindowClaim | null> {
    const current = this.windows.get(key);
    if (!current || current.expires <= Date.now()) return null;
    return { owner: current.owner, count: current.count, expiresAt: current.expires };
  }

  async close(keys: string[]): Promise<void> {
    for (const key of keys) this.windows.delete(key);
  }

  async takeOver(key: string, from: string, to: string): Promise<boolean> {
    const current = this.windows.get(key);
    if (!current || current.expires <= Date.now() || current.owner !== from) return false;
    Object.assign(current, { owner: to, count: 1 });
    return true;
  }

  async release(keys: string[], owner: string): Promise<void> {
    for (const key of keys) if (this.windows.get(key)?.owner === owner) this.windows.delete(key);
  }
}

// Atomic per key: create the window, or count a claim by someone other than the owner.
// Answers owner, count and remaining ms for each key, flattened.
const CLAIM_SCRIPT = `
local out = {}
for i, key in ipairs(KEYS) do
  local owner = redis.call('HGET', key, 'owner')
  if not owner then
    redis.call('HSET', key, 'owner', ARGV[1], 'count', 1)
    redis.call('PEXPIRE', key, ARGV[2])
    out[#out + 1] = ARGV[1]; out[#out + 1] = 1; out[#out + 1] = tonumber(ARGV[2])
  else
    local count
    if owner == ARGV[1] then count = tonumber(redis.call('HGET', key, 'count')) else count = redis.call('HINCRBY', key, 'count', 1) end
    out[#out + 1] = owner; out[#out + 1] = count; out[#out + 1] = redis.call('PTTL', key)
  end
end
return out
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
for i, key in ipairs(KEYS) do
  if redis.call('HGET', key, 'owner') == ARGV[1] then redis.call('DEL', key) end
end
return 0
`;

/** The scripts as commands: ioredis sends them by SHA after the first call, not as text every time. */
interface WindowCommands {
  windowClaim(numKeys: number, ...args: string[]): Promise<Array<string | number>>;
  windowPeek(numKeys: number, key: string): Promise<[string, number, number] | null>;
  windowTakeOver(numKeys: number, key: string, from: string, to: string): Promise<number>;
  windowRelease(numKeys: number, ...args: string[]): Promise<number>;
}

/** The scale-out store: windows in Redis, so every gateway replica agrees. */
export class RedisWindowStore implements WindowStore {
  private readonly commands: WindowCommands;

  constructor(
    private readonly redis: Redis,
    private readonly keyPrefix: string,
  ) {
    const scripts = { windowClaim: CLAIM_SCRIPT, windowPeek: PEEK_SCRIPT, windowTakeOver: TAKE_OVER_SCRIPT, windowRelease: RELEASE_SCRIPT };
    for (const [name, lua] of Object.entries(scripts)) if (!(name in redis)) redis.defineCommand(name, { lua });
    this.commands = redis as unknown as WindowCommands;
  }

  async claim(keys: string[], owner: string, windowMs: number): Promise<WindowClaim[]> {
    if (keys.length === 0) return [];
    const flat = await this.commands.windowClaim(keys.length, ...keys.map((k) => this.key(k)), owner, String(windowMs));
    const now = Date.now();
    return keys.map((_, i) => ({
      owner: String(flat[3 * i]),
      count: Number(flat[3 * i + 1]),
      expiresAt: now + Math.max(0, Number(flat[3 * i + 2])),
    }));
  }

  async peek(key: string): Promise<WindowClaim | null> {
    const found = await this.commands.windowPeek(1, this.key(key));
    if (!found) return null;
    return { owner: found[0], count: Number(found[1]), expiresAt: Date.now() + Math.max(0, Number(found[2])) };
  }

  async close(keys: string[]): Promise<void> {
    if (keys.length > 0) await this.redis.del(...keys.map((k) => this.key(k)));
  }

  async takeOver(key: string, from: string, to: string): Promise<boolean> {
    return Number(await this.commands.windowTakeOver(1, this.key(key), from, to)) === 1;
  }

  async release(keys: string[], owner: string): Promise<void> {
    if (keys.length > 0) await this.commands.windowRelease(keys.length, ...keys.map((k) => this.key(k)), owner);
  }

  private key(key: string): string {
    return `${this.keyPrefix}:window:${key}`;
  }
}

/**
 * Windows in Redis while Redis answers; in this process when it does not, so routing and the
 * first send never wait for Redis. While degraded, copies from HA peers that reach other
 * replicas are delivered again (at least once, never zero times). Ending a window (close,
 * release) ends it in both places.
 */
export class FallbackWindowStore implements WindowStore {
  private readonly stores: SharedOrLocal<WindowStore>;

  constructor(shared: WindowStore, monitor: RedisFallbackMonitor, pauseMs = 1_000) {
    this.stores = new SharedOrLocal<WindowStore>(shared, new InProcessWindowStore(), monitor, 'windows', pauseMs);
  }

  claim(keys: string[], owner: string, windowMs: number): Promise<WindowClaim[]> {
    return this.stores.call((store) => store.claim(keys, owner, windowMs));
  }

  peek(key: string): Promise<WindowClaim | null> {
    return this.stores.call((store) => store.peek(key));
  }

  takeOver(key: string, from: string, to: string): Promise<boolean> {
    return this.stores.call((store) => store.takeOver(key, from, to));
  }

  async close(keys: string[]): Promise<void> {
    await this.stores.local.close(keys);
    await this.stores.call((store) => store.close(keys));
  }

  async release(keys: string[], owner: string): Promise<void> {
    await this.stores.local.release(keys, owner);
    await this.stores.call((store) => store.release(keys, owner));
  }
}
