import type { RouteWindowSettings } from '../gateway/route-table';

/** What a route window knows of one alert on one channel. */
export interface KnownAlert {
  status: string;
  /** Set while it waits for the window's next message. */
  queuedAt: number | null;
  queuedBy: string | null;
  toldStatus: string | null;
  toldAt: number | null;
  /** The receipt whose own message told it; null when a window's message did. */
  toldBy: string | null;
}

/**
 * What a window does with an alert of a receipt:
 * - `send`: goes out now, in the receipt's own message;
 * - `queue`: waits for the window's next message;
 * - `repeat`: already told as it is within the repeat interval (or already waiting): not sent;
 * - `drop`: resolved while waiting and never told firing: neither is sent, as Alertmanager does.
 */
export type WindowDecision = 'send' | 'queue' | 'repeat' | 'drop';

export interface WindowTiming {
  lastFlushAt: number | null;
  nextFlushAt: number | null;
}

export interface WindowVerdict {
  decisions: WindowDecision[];
  /** When the window's next message is due, if this receipt set it (or it was set already and alerts were queued). */
  nextFlushAt: number | null;
  /** Whether this receipt's message is the window's message (its last send moves to now). */
  sends: boolean;
}

/**
 * Alertmanager's group_wait / group_interval / repeat_interval for one route and channel, across
 * clusters, as pure rules (the gateway applies them under a row lock, replays in memory):
 * - a route new to the channel (never used, or silent for a repeat interval, with alerts it never
 *   told) sends its first alert at once, or after the group wait gathering what comes meanwhile;
 * - then at most one message per group interval: alerts in between wait for the next tick;
 * - a firing alert told within the repeat interval, or a resolved one told resolved, is not told
 *   again unless its status changes.
 * A receipt processed a second time (after a crash) gets the same decisions for its alerts.
 */
export function decideWindow(
  settings: RouteWindowSettings,
  timing: WindowTiming,
  receiptId: string,
  now: number,
  alerts: Array<{ status: string; known: KnownAlert | null }>,
): WindowVerdict {
  const intervalMs = settings.intervalSeconds * 1000;
  const repeatMs = settings.repeatSeconds * 1000;
  const { lastFlushAt, nextFlushAt } = timing;
  // New to the channel: nothing sent for a repeat interval and none of these alerts told before
  // (a still-firing alert told again at its repeat does not make the group new).
  const idle = (lastFlushAt === null || now - lastFlushAt >= repeatMs) && alerts.every((a) => !a.known?.toldStatus);
  let dueAt: number | null;
  if (nextFlushAt !== null) dueAt = nextFlushAt;
  else if (lastFlushAt !== null && now - lastFlushAt < intervalMs) dueAt = lastFlushAt + intervalMs;
  else if (idle && settings.waitSeconds > 0) dueAt = now + settings.waitSeconds * 1000;
  else dueAt = null;

  const decisions = alerts.map(({ status, known }): WindowDecision => {
    if (known?.toldBy === receiptId) return 'send';
    if (known?.queuedAt != null) {
      if (known.queuedBy === receiptId) return 'queue';
      if (status === 'resolved' && known.toldStatus !== 'firing') return 'drop';
      return 'repeat';
    }
    if (known?.toldStatus === status && (status === 'resolved' || (known.toldAt !== null && now - known.toldAt < repeatMs)))
      return 'repeat';
    return dueAt === null ? 'send' : 'queue';
  });
  const queued = decisions.includes('queue');
  return { decisions, nextFlushAt: queued ? dueAt : null, sends: decisions.includes('send') && dueAt === null };
}
