import type { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Config } from '../../config';
import { RateLimitedError } from '../../errors';
import type { Principal } from './principal';

/** Who is asking, for limits: the token when there is one, else the client's address. */
export interface Caller {
  principal: Principal | null;
  ip: string;
}

function callerKey({ principal, ip }: Caller): string {
  return principal ? `${principal.kind}:${principal.id}` : `ip:${ip}`;
}

/** Rate limits in Redis when there is one (every replica shares them), in the process otherwise or while Redis is away. */
function limiter(redis: Redis | null, keyPrefix: string, points: number, durationSeconds: number): RateLimiterAbstract {
  const memory = new RateLimiterMemory({ points, duration: durationSeconds });
  if (!redis) return memory;
  return new RateLimiterRedis({ storeClient: redis, keyPrefix, points, duration: durationSeconds, insuranceLimiter: memory });
}

/**
 * What a GraphQL caller may do: requests per client address, cost per operation (by role) and per
 * minute (by caller), and operations at once (by caller). Over a limit is RATE_LIMITED with the
 * time after which to try again; over the per-operation cost is a query to make smaller.
 */
export class RequestLimits {
  private readonly perIp: RateLimiterAbstract;
  private readonly costPerCaller: RateLimiterAbstract;
  private readonly costPerSecond: RateLimiterAbstract;
  private readonly running = new Map<string, number>();
  /** Heavy operations running in this process. */
  private readonly heavy: Turns;
  /** Top-level query fields resolving in this process. */
  private readonly reads: Turns;

  constructor(
    private readonly settings: Config['graphql'],
    redis: Redis | null,
    keyPrefix: string,
    databasePoolMax: number,
  ) {
    this.heavy = new Turns(settings.heavyAtOnce);
    this.reads = new Turns(Math.max(1, Math.min(settings.readsAtOnce, databasePoolMax - 2)));
    this.perIp = limiter(redis, `${keyPrefix}:limits:ip`, settings.requestsPerMinutePerIp, 60);
    this.costPerCaller = limiter(redis, `${keyPrefix}:limits:cost`, settings.costPerMinute, 60);
    this.costPerSecond = limiter(redis, `${keyPrefix}:limits:burst`, settings.costPerSecond, 1);
  }

  /** Every GraphQL request and subscription counts against its client address. */
  async admitRequest(ip: string): Promise<void> {
    await consume(this.perIp, ip, 1, `more than ${this.settings.requestsPerMinutePerIp} GraphQL requests a minute from ${ip}`);
  }

  /** The most one operation may cost for this caller: the role's limit (custom roles without one have the viewer's). */
  costLimit(principal: Principal | null): number {
    const limits = this.settings.costLimits;
    if (!principal) return limits.anonymous;
    return limits[principal.role] ?? limits.viewer;
  }

  /**
   * Spends an operation's cost from the caller's budget for the minute and takes one of its
   * running slots; call the returned function when the operation ends.
   */
  async admitOperation(caller: Caller, cost: number): Promise<() => void> {
    const key = callerKey(caller);
    const running = this.running.get(key) ?? 0;
    if (running >= this.settings.maxConcurrentPerCaller)
      throw new RateLimitedError(
        `${running} operations of this caller are running already; at most ${this.settings.maxConcurrentPerCaller} at once`,
        1,
      );
    if (cost > 0) {
      // The minute's budget may not be spent in one burst: the event loop it costs is shared with the webhook.
      await consume(
        this.costPerSecond,
        key,
        Math.min(cost, this.settings.costPerSecond),
        `this caller has spent its GraphQL budget of ${this.settings.costPerSecond} a second`,
      );
      await consume(this.costPerCaller, key, cost, `this caller has spent its GraphQL budget of ${this.settings.costPerMinute} a minute`);
    }
    this.running.set(key, running + 1);
    const heavy = cost >= this.settings.heavyCost;
    if (heavy) {
      try {
        // Operations that resolve thousands of fields keep the event loop busy for milliseconds at a
        // time; the webhook shares that loop. They take turns, so at most `heavyAtOnce` of them stand
        // between Alertmanager and its answer; one that waits past the operation time limit is refused.
        await this.heavy.take({
          ms: this.settings.timeoutMs,
          error: () => new RateLimitedError(`the server is busy with other large operations; ask for fewer items or try again`, 1),
        });
      } catch (err) {
        this.leave(key);
        throw err;
      }
    }
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.leave(key);
      if (heavy) this.heavy.give();
    };
  }

  private leave(key: string): void {
    const left = (this.running.get(key) ?? 1) - 1;
    if (left > 0) this.running.set(key, left);
    else this.running.delete(key);
  }

  /**
   * Runs one top-level query field when a read turn is free. Ten aliases of a list each read the
   * database at once; unbounded, a few such operations take every pooled connection and the
   * webhook's insert waits behind them.
   */
  async readTurn<T>(read: () => Promise<T>): Promise<T> {
    await this.reads.take();
    try {
      return await read();
    } finally {
      this.reads.give();
    }
  }
}

/** At most `slots` holders at once; the others wait, first come first served, for a turn handed straight on. */
class Turns {
  private held = 0;
  private readonly waiting: Array<() => void> = [];

  constructor(private readonly slots: number) {}

  /** Resolves once a turn is held; with `wait`, rejects with its error if none came within its `ms`. */
  take(wait?: { ms: number; error: () => Error }): Promise<void> {
    if (this.held < this.slots) {
      this.held += 1;
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const turn = () => {
        clearTimeout(timer);
        resolve();
      };
      if (wait) {
        timer = setTimeout(() => {
          this.waiting.splice(this.waiting.indexOf(turn), 1);
          reject(wait.error());
        }, wait.ms);
      }
      this.waiting.push(turn);
    });
  }

  /** Ends a turn: the next in line gets it, or the slot falls free. */
  give(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.held -= 1;
  }
}

async function consume(limiterOf: RateLimiterAbstract, key: string, points: number, message: string): Promise<void> {
  try {
    await limiterOf.consume(key, points);
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) throw new RateLimitedError(message, Math.max(1, Math.ceil(rejection.msBeforeNext / 1000)));
    // The store failed and had no insurance: limits are a guard, not a reason to refuse.
  }
}
