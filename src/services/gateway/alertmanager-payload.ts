import { createHash } from 'node:crypto';
import { z } from 'zod';

/** Alertmanager writes this for "no end time yet" while an alert fires. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

const timestamp = z.string().refine((v) => v === ZERO_TIME || !Number.isNaN(Date.parse(v)), 'expected an RFC 3339 timestamp');
const labelSet = z.record(z.string().min(1, 'label names must not be empty'), z.string({ message: 'label values must be strings' }));
const status = z.enum(['firing', 'resolved'], { message: 'expected "firing" or "resolved"' });

// Newer Alertmanagers add fields (notification_reason, routeLabels …): loose objects keep them.
// Senders using a custom payload template may omit the fingerprint; it is filled in here, once.
const alertSchema = z
  .looseObject({
    status,
    labels: labelSet,
    annotations: labelSet.default({}),
    startsAt: timestamp,
    endsAt: timestamp.default(ZERO_TIME),
    generatorURL: z.string().default(''),
    fingerprint: z.string().optional(),
  })
  .transform((alert) => ({ ...alert, fingerprint: alert.fingerprint || fingerprintOf(alert.labels) }));

export const MAX_ALERTS_PER_PAYLOAD = 5_000;

export const alertmanagerPayloadSchema = z.looseObject({
  version: z.literal('4', { message: 'expected "4" (the Alertmanager webhook payload version)' }),
  groupKey: z.string({ message: 'expected a string' }),
  truncatedAlerts: z.number().int().min(0).default(0),
  status,
  receiver: z.string({ message: 'expected a string' }),
  groupLabels: labelSet.default({}),
  commonLabels: labelSet.default({}),
  commonAnnotations: labelSet.default({}),
  externalURL: z.string().default(''),
  alerts: z
    .array(alertSchema)
    .min(1, 'expected at least one alert')
    .max(MAX_ALERTS_PER_PAYLOAD, `at most ${MAX_ALERTS_PER_PAYLOAD} alerts per request`),
});

export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;
export type AlertmanagerAlert = AlertmanagerPayload['alerts'][number];

/**
 * A stable identity for an alert from its labels, for senders that omit Alertmanager's own
 * fingerprint (custom payload templates): sorted label pairs, hashed, 16 hex characters.
 */
export function fingerprintOf(labels: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) hash.update(`${name}\u0000${labels[name]}\u0001`);
  return hash.digest('hex').slice(0, 16);
}
