import type { SendableChannel } from './channel.service';
import { policyOf } from './delivery-policy';
import { effectiveLimit, robotLimit, type RateLimitSetting, type RobotLimit, type TokenBuckets } from './robot-limits';

/** One robot a channel can send through: its own, or a pool member's (the member's settings, the channel's templates). */
export interface Robot {
  sendable: SendableChannel;
  /** The pool member's channel id; null for the channel's own robot. */
  memberId: string | null;
  /** Null when the robot has no limit to respect. */
  limit: RobotLimit | null;
}

/** Failures in a row after which a pool skips a robot, and for how long. */
const BENCH_AFTER_FAILURES = 3;
const BENCH_MS = 60_000;

/**
 * Decides which robot carries a channel's next message: round robin over the channel's own
 * robot and its pool members, skipping robots that failed several times in a row (for a while)
 * and robots at their rate limit. Channels without a limit or a pool send directly, unqueued.
 */
export class RobotPool {
  private readonly turn = new Map<string, number>();
  private readonly failures = new Map<string, { inARow: number; benchedUntil: number }>();

  constructor(
    private readonly buckets: TokenBuckets,
    private readonly load: (channelId: string) => Promise<SendableChannel | null>,
  ) {}

  /** The channel's robots, or null when its messages need no queue (no robot limit, no pool). */
  async robotsOf(sendable: SendableChannel): Promise<Robot[] | null> {
    const policy = policyOf(sendable.channel.deliveryPolicy);
    const own = this.robot(sendable, null, policy.rateLimit);
    const members: Robot[] = [];
    for (const id of policy.pool) {
      const member = await this.load(id);
      // A member deleted or retyped since the pool was saved is skipped, not fatal.
      if (member && member.plugin.type === sendable.plugin.type && member.channel.id !== sendable.channel.id) {
        members.push(
          this.robot(
            { ...member, templates: sendable.templates },
            id,
            policyOf(member.channel.deliveryPolicy).rateLimit ?? policy.rateLimit,
          ),
        );
      }
    }
    if (members.length === 0 && !own.limit) return null;
    return [own, ...members];
  }

  /**
   * A robot that may send now (its token taken), or how long until one may. Healthy robots are
   * tried in turn from the one after the last that sent (or after `after`); benched robots only
   * when no healthy one is left.
   */
  async acquire(channelId: string, robots: Robot[], after?: Robot): Promise<{ robot: Robot } | { waitMs: number }> {
    const start = after ? robots.indexOf(after) + 1 : (this.turn.get(channelId) ?? 0);
    const order = robots.map((_, i) => robots[(start + i) % robots.length]!);
    const now = Date.now();
    const healthy = order.filter((r) => (this.failures.get(this.healthKey(r))?.benchedUntil ?? 0) <= now);
    let waitMs = Number.POSITIVE_INFINITY;
    for (const robot of healthy.length > 0 ? healthy : order) {
      const wait = robot.limit ? await this.buckets.take(robot.limit) : 0;
      if (wait === 0) return { robot };
      waitMs = Math.min(waitMs, wait);
    }
    return { waitMs };
  }

  /**
   * Up to `count` more sends that may go now after `first`, each a robot with its token taken, in
   * turn; fewer (or none) when the robots run out of room. Never waits.
   */
  async acquireMore(channelId: string, robots: Robot[], first: Robot, count: number): Promise<Robot[]> {
    const granted: Robot[] = [];
    let last = first;
    while (granted.length < count) {
      const pick = await this.acquire(channelId, robots, last);
      if ('waitMs' in pick) break;
      granted.push((last = pick.robot));
    }
    return granted;
  }

  /** The next send starts its search at the robot after this one (only sends move the turn on, not tokens given back). */
  sentThrough(channelId: string, robots: Robot[], robot: Robot): void {
    this.turn.set(channelId, (robots.indexOf(robot) + 1) % robots.length);
  }

  /** Gives back the token of a send that did not happen (nothing was waiting after all). */
  async refund(robot: Robot, cost = 1): Promise<void> {
    if (robot.limit) await this.buckets.refund(robot.limit, cost);
  }

  /** Takes the rest of what a message costs beyond the token `acquire` took: 0 when taken, else how long to wait. */
  async takeMore(robot: Robot, extra: number): Promise<number> {
    return robot.limit && extra > 0 ? this.buckets.take(robot.limit, extra) : 0;
  }

  /** Counts a robot's failures in a row; enough of them bench it for a while. */
  report(robot: Robot, ok: boolean): void {
    const key = this.healthKey(robot);
    if (ok) {
      this.failures.delete(key);
      return;
    }
    const state = this.failures.get(key) ?? { inARow: 0, benchedUntil: 0 };
    state.inARow += 1;
    if (state.inARow >= BENCH_AFTER_FAILURES) state.benchedUntil = Date.now() + BENCH_MS;
    this.failures.set(key, state);
  }

  private robot(sendable: SendableChannel, memberId: string | null, override: RateLimitSetting | null | undefined): Robot {
    const limit = effectiveLimit(sendable.plugin.robotLimit, override);
    if (!limit) return { sendable, memberId, limit: null };
    // A type without a robot of its own (a webhook) is limited per channel when its policy says so.
    const identity = sendable.plugin.robotIdentity?.(sendable.config) ?? `channel:${sendable.channel.id}`;
    return { sendable, memberId, limit: robotLimit(sendable.plugin.type, identity, limit) };
  }

  private healthKey(robot: Robot): string {
    return robot.sendable.channel.id;
  }
}
