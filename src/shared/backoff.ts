/** Exponential backoff settings shared by the queue, the sidecar and peer retries. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Fraction of the delay that is randomised (0 = none, 1 = anywhere from 0 to the full delay). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 1_000, maxMs: 5 * 60_000, jitter: 0.2 };

/** Delay before retry number `attempt` (1 = the first retry): base·2^(attempt-1), capped, with jitter taken off the top. */
export function backoffDelay(attempt: number, policy: BackoffPolicy = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const exponent = Math.max(0, attempt - 1);
  const raw = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.min(exponent, 30));
  return Math.round(raw - raw * policy.jitter * random());
}
