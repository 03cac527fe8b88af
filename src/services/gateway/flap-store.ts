import type { Redis } from 'ioredis';
import { SharedOrLocal, type RedisFallbackMonitor } from '../shared/redis-fallbacks';

/** What one sighting of an alert says about its flapping. */
export interface FlapObservation {
  /** Changes between firing and resolved within the window. */
  changes: number;
  flapping: boolean;
  /** This sighting made it flapping (it is told once, now). */
  becameFlapping: boolean;
  /** When its status last changed (epoch ms): it settles once it has not changed for the quiet time. */
  changedAt: number;
}

/** A flapping alert that has settled: how it ended, and what it was. */
export interface SettledFlap {
  status: 'firing' | 'resolved';
  /** The alert as last seen (JSON). */
  alert: string;
  changes: number;
}

export interface FlapSettings {
  changes: number;
  windowMs: number;
  quietMs: number;
}

/**
 * Per fingerprint: the last status, the changes within the window and whether it is flapping.
 * Shared by every replica in Redis (and kept across restarts of AlertAgent); in this process in
 * embedded mode.
 */
export interface FlapStore {
  observe(fingerprint: string, status: string, alert: string, now: number, settings: FlapSettings): Promise<FlapObservation>;
  /** Ends the flapping of an alert that has not changed since `now - quietMs`; null when it is not flapping or changed since. */
  settle(fingerprint: string, now: number, quietMs: number): Promise<SettledFlap | null>;
}

interface Entry {
  status: string;
  alert: string;
  changedAt: number;
  changes: number[];
  flapping: boolean;
  expires: number;
}

export class InProcessFlapStore implements FlapStore {
  private readonly entries = new Map<string, Entry>();

  async observe(fingerprint: string, status: string, alert: string, now: number, settings: FlapSettings): Promise<FlapObservation> {
    if (this.entries.size > 100_000) for (const [k, e] of this.entries) if (e.expires <= now) this.entries.delete(k);
    const live = this.entries.get(fingerprint);
    const entry: Entry = live && live.expires > now ? live : { status, alert, changedAt: now, changes: [], flapping: false, expires: 0 };
    if (entry.status !== status) {
      entry.changes.push(now);
      entry.status = status;
      entry.changedAt = now;
    }
    entry.alert = alert;
    entry.changes = entry.changes.filter((t) => t > now - settings.windowMs);
    const becameFlapping = !entry.flapping && entry.changes.length >= settings.changes;
    if (becameFlapping) entry.flapping = true;
    entry.expires = now + settings.windowMs + settings.quietMs;
    this.entries.set(fingerprint, entry);
    return { changes: entry.changes.length, flapping: entry.flapping, becameFlapping, changedAt: entry.changedAt };
  }

  async settle(fingerprint: string, now: number, quietMs: number): Promise<SettledFlap | null> {
    const entry = this.entries.get(fingerprint);
    if (!entry?.flapping || now - entry.changedAt < quietMs) return null;
    entry.flapping = false;
    const changes = entry.changes.length;
    entry.changes = [];
    return { status: entry.status as SettledFlap['status'], alert: entry.alert, changes };
  }
}

// KEYS: state hash, changes sorted set. ARGV: status, alert, now, window, threshold, ttl.
const OBSERVE_SCRIPT = `
local now = tonumber(ARGV[3])
local last = redis.call('HGET', KEYS[1], 'status')
if last ~= ARGV[1] then
  if last then redis.call('ZADD', KEYS[2], now, now .. ':' .. ARGV[1]) end
  redis.call('HSET', KEYS[1], 'status', ARGV[1], 'changed_at', now)
end
redis.call('HSET', KEYS[1], 'alert', ARGV[2])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[4]))
local changes = redis.call('ZCARD', KEYS[2])
local flapping = redis.call('HGET', KEYS[1], 'flapping') == '1'
local became = 0
if (not flapping) and changes >= tonumber(ARGV[5]) then
  redis.call('HSET', KEYS[1], 'flapping', '1')
  flapping = true
  became = 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[6])
redis.call('PEXPIRE', KEYS[2], ARGV[6])
return {changes, flapping and 1 or 0, became, tonumber(redis.call('HGET', KEYS[1], 'changed_at'))}
`;

// KEYS: state hash, changes sorted set. ARGV: now, quiet.
const SETTLE_SCRIPT = `
if redis.call('HGET', KEYS[1], 'flapping') ~= '1' then return nil end
if tonumber(ARGV[1]) - tonumber(redis.call('HGET', KEYS[1], 'changed_at')) < tonumber(ARGV[2]) then return nil end
local changes = redis.call('ZCARD', KEYS[2])
redis.call('HSET', KEYS[1], 'flapping', '0')
redis.call('DEL', KEYS[2])
return {redis.call('HGET', KEYS[1], 'status'), redis.call('HGET', KEYS[1], 'alert'), changes}
`;

interface FlapCommands {
  flapObserve(numKeys: number, ...args: string[]): Promise<[number, number, number, number]>;
  flapSettle(numKeys: number, ...args: string[]): Promise<[string, string, number] | null>;
}

export class RedisFlapStore implements FlapStore {
  private readonly commands: FlapCommands;

  constructor(
    redis: Redis,
    private readonly keyPrefix: string,
  ) {
    for (const [name, lua] of Object.entries({ flapObserve: OBSERVE_SCRIPT, flapSettle: SETTLE_SCRIPT }))
      if (!(name in redis)) redis.defineCommand(name, { lua });
    this.commands = redis as unknown as FlapCommands;
  }

  async observe(fingerprint: string, status: string, alert: string, now: number, settings: FlapSettings): Promise<FlapObservation> {
    const [changes, flapping, became, changedAt] = await this.commands.flapObserve(
      2,
      ...this.keys(fingerprint),
      status,
      alert,
      String(now),
      String(settings.windowMs),
      String(settings.changes),
      String(settings.windowMs + settings.quietMs),
    );
    return {
      changes: Number(changes),
      flapping: Number(flapping) === 1,
      becameFlapping: Number(became) === 1,
      changedAt: Number(changedAt),
    };
  }

  async settle(fingerprint: string, now: number, quietMs: number): Promise<SettledFlap | null> {
    const settled = await this.commands.flapSettle(2, ...this.keys(fingerprint), String(now), String(quietMs));
    return settled ? { status: settled[0] as SettledFlap['status'], alert: settled[1], changes: Number(settled[2]) } : null;
  }

  private keys(fingerprint: string): [string, string] {
    return [`${this.keyPrefix}:flap:${fingerprint}`, `${this.keyPrefix}:flap:${fingerprint}:changes`];
  }
}

/** Redis while it answers; this process when it does not (flapping is then judged per replica until Redis is back). */
export class FallbackFlapStore implements FlapStore {
  private readonly stores: SharedOrLocal<FlapStore>;

  constructor(shared: FlapStore, monitor: RedisFallbackMonitor) {
    this.stores = new SharedOrLocal<FlapStore>(shared, new InProcessFlapStore(), monitor, 'flapping');
  }

  observe(fingerprint: string, status: string, alert: string, now: number, settings: FlapSettings): Promise<FlapObservation> {
    return this.stores.call((store) => store.observe(fingerprint, status, alert, now, settings));
  }

  settle(fingerprint: string, now: number, quietMs: number): Promise<SettledFlap | null> {
    return this.stores.call((store) => store.settle(fingerprint, now, quietMs));
  }
}
