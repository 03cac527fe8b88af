import { z } from 'zod';

/** The most robots one pool may hold besides the channel's own. */
export const POOL_MAX = 10;

const rateLimit = z
  .strictObject({
    perMinute: z.int().min(2, 'must be at least 2').max(100_000),
    burst: z.int().min(1, 'must be at least 1').optional(),
  })
  // The bucket refills perMinute - burst a minute: a burst as large as the limit would leave nothing to refill.
  .refine((r) => r.burst === undefined || r.burst < r.perMinute, { message: 'burst must be below perMinute', path: ['burst'] });

const slo = z.strictObject({
  successRate: z.number().gt(0, 'must be above 0').max(1, 'must be at most 1'),
  p95LatencyMs: z.int().min(1).max(600_000).optional(),
  windowMinutes: z.int().min(5, 'must be at least 5').max(1_440, 'must be at most 1440').default(60),
  /** Attempts needed in the window before the SLO is judged: a handful of sends proves nothing. */
  minAttempts: z.int().min(1).max(100_000).default(10),
});

/**
 * How a channel's messages are delivered beyond its type's protocol: rate limit, robot pool,
 * failover to a backup channel, SLO and scheduled probe. Stored on the channel, defaulted here.
 */
export const deliveryPolicySchema = z.strictObject({
  /** Overrides the type's documented robot limit; null uses it. */
  rateLimit: rateLimit.nullish(),
  /** Other channels of the same type whose robots share this channel's sends (round robin with health). */
  pool: z.array(z.uuid('expected a channel id')).max(POOL_MAX, `at most ${POOL_MAX} pool members`).default([]),
  backupChannelId: z.uuid('expected a channel id').nullish(),
  /** Hand over to the backup after this many failed attempts … */
  failoverAfterAttempts: z.int().min(1).max(20).default(3),
  /** … or once the message has waited this long without being delivered. */
  failoverAfterSeconds: z.int().min(5).max(86_400).default(300),
  /** Hand over at once while the channel's health is down (one message every 30 s still tries it). */
  failoverWhenDown: z.boolean().default(true),
  slo: slo.nullish(),
  /** Probe the channel without posting on this schedule (types that can be probed only). */
  probeIntervalSeconds: z.int().min(30, 'must be at least 30').max(86_400).nullish(),
});

export type DeliveryPolicy = z.output<typeof deliveryPolicySchema>;
export type ChannelSlo = NonNullable<DeliveryPolicy['slo']>;

const DEFAULT_POLICY: DeliveryPolicy = deliveryPolicySchema.parse({});

/** Parsed policies by the stored object: the delivery path asks for a cached channel's policy on every message. */
const parsedPolicies = new WeakMap<object, DeliveryPolicy>();

/** A stored policy with its defaults; a policy stored by an older version that no longer parses falls back to the defaults. */
export function policyOf(stored: Record<string, unknown> | null | undefined): DeliveryPolicy {
  if (!stored) return DEFAULT_POLICY;
  let policy = parsedPolicies.get(stored);
  if (!policy) {
    const parsed = deliveryPolicySchema.safeParse(stored);
    parsedPolicies.set(stored, (policy = parsed.success ? parsed.data : DEFAULT_POLICY));
  }
  return policy;
}

/** 1 for the first notice of a critical alert (not an update of an incident, not a resolution): it goes before queued messages. */
export function priorityOf(message: {
  status: string;
  incident?: unknown;
  alerts: Array<{ status: string; labels: Record<string, string> }>;
}): number {
  if (message.status !== 'firing' || message.incident) return 0;
  return message.alerts.some((a) => a.status === 'firing' && a.labels.severity?.toLowerCase() === 'critical') ? 1 : 0;
}
