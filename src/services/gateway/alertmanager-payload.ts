import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BadUserInputError, zodIssues } from '../../errors';
import { defineField, note, repairJson, type JsonRepairs } from '../shared/storable-json';

/** Alertmanager writes this for "no end time yet" while an alert fires. */
export const ZERO_TIME = '0001-01-01T00:00:00Z';

/** Stored timestamps stay within these years; Alertmanager (Go) can write any year from 0 to 9999. */
const EARLIEST = new Date('0001-01-01T00:00:00Z').getTime();
const LATEST = new Date('9999-12-31T23:59:59.999Z').getTime();

/** Longest fingerprint stored as sent (the column's width); a longer one is stored as its SHA-256. */
export const MAX_FINGERPRINT = 64;
/** `truncatedAlerts` is stored as a 32-bit count; a larger number is stored as this. */
const MAX_TRUNCATED = 2 ** 31 - 1;
/** Fields AlertAgent does not know are kept up to these sizes (as JSON), per alert and for the rest of the body. */
export const UNKNOWN_FIELDS_PER_ALERT_BYTES = 16 * 1024;
export const UNKNOWN_FIELDS_TOP_BYTES = 64 * 1024;

const timestamp = z.string().refine((v) => v === ZERO_TIME || !Number.isNaN(Date.parse(v)), 'expected an RFC 3339 timestamp');
const labelSet = z.record(z.string().min(1, 'label names must not be empty'), z.string({ message: 'label values must be strings' }));
const status = z.enum(['firing', 'resolved'], { message: 'expected "firing" or "resolved"' });

const ALERT_FIELDS = ['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint'];
const TOP_FIELDS = [
  'version',
  'groupKey',
  'truncatedAlerts',
  'status',
  'receiver',
  'groupLabels',
  'commonLabels',
  'commonAnnotations',
  'externalURL',
  'alerts',
];

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

/** A payload that passed validation, and what was changed so that all of it can be stored. */
export interface ParsedPayload {
  payload: AlertmanagerPayload;
  repairs: JsonRepairs;
}

/**
 * The one rule for webhook input: what this returns can be stored, whole, and what it refuses
 * (BAD_USER_INPUT, naming the fields) never could be. Where refusing would lose alerts over
 * something a sender cannot change (a NUL in a label value, an unknown field nested 1,000
 * deep, a date before year 1), the value is repaired and the repair is reported instead.
 */
export function parseAlertmanagerPayload(text: string): ParsedPayload {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch (err) {
    throw new BadUserInputError(`request body is not valid JSON: ${(err as Error).message}`);
  }
  const repairs: JsonRepairs = { notes: [], count: 0 };
  body = repairJson(body, repairs);
  const parsed = alertmanagerPayloadSchema.safeParse(body);
  if (!parsed.success) {
    const issues = zodIssues(parsed.error);
    const shown = issues.slice(0, 20);
    throw new BadUserInputError(
      `not an Alertmanager webhook payload (version 4): ${shown.map((i) => `${i.field}: ${i.message}`).join('; ')}${issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : ''}`,
      shown,
    );
  }
  const payload = parsed.data;
  boundUnknownFields(payload as Record<string, unknown>, TOP_FIELDS, UNKNOWN_FIELDS_TOP_BYTES, '', repairs);
  if (payload.truncatedAlerts > MAX_TRUNCATED) {
    note(repairs, `truncatedAlerts: ${payload.truncatedAlerts} stored as ${MAX_TRUNCATED}`);
    payload.truncatedAlerts = MAX_TRUNCATED;
  }
  payload.alerts.forEach((alert, i) => {
    boundUnknownFields(alert as Record<string, unknown>, ALERT_FIELDS, UNKNOWN_FIELDS_PER_ALERT_BYTES, `alerts[${i}].`, repairs);
    if (alert.fingerprint.length > MAX_FINGERPRINT) {
      note(repairs, `alerts[${i}].fingerprint: longer than ${MAX_FINGERPRINT} characters, stored as its SHA-256`);
      alert.fingerprint = createHash('sha256').update(alert.fingerprint).digest('hex');
    }
    for (const field of ['startsAt', 'endsAt'] as const) {
      const value = alert[field];
      if (value !== ZERO_TIME && storableDate(value).getTime() !== Date.parse(value))
        note(repairs, `alerts[${i}].${field}: outside the years 1 to 9999, stored as ${storableDate(value).toISOString()}`);
    }
  });
  return { payload, repairs };
}

/** The instant of a validated timestamp, within the years 1 to 9999 (what storage and every client can show). */
export function storableDate(text: string): Date {
  return new Date(Math.min(LATEST, Math.max(EARLIEST, Date.parse(text))));
}

/** Keeps fields AlertAgent does not know, up to a size: the largest are replaced by a note until the rest fit. */
function boundUnknownFields(object: Record<string, unknown>, known: string[], maxBytes: number, path: string, repairs: JsonRepairs): void {
  const unknown = Object.keys(object).filter((key) => !known.includes(key));
  if (unknown.length === 0) return;
  const sizes = unknown
    .map((key) => ({ key, bytes: Buffer.byteLength(JSON.stringify(object[key]) ?? '') }))
    .sort((a, b) => b.bytes - a.bytes);
  let total = sizes.reduce((sum, s) => sum + s.bytes, 0);
  for (const { key, bytes } of sizes) {
    if (total <= maxBytes) break;
    defineField(object, key, `[removed by AlertAgent: ${bytes} bytes; fields it does not know are kept up to ${maxBytes} bytes here]`);
    note(repairs, `${path}${key}: removed (${bytes} bytes; unknown fields are kept up to ${maxBytes} bytes)`);
    total -= bytes;
  }
}

/**
 * A stable identity for an alert from its labels, for senders that omit Alertmanager's own
 * fingerprint (custom payload templates): sorted label pairs, hashed, 16 hex characters.
 */
export function fingerprintOf(labels: Record<string, string>): string {
  const hash = createHash('sha256');
  for (const name of Object.keys(labels).sort()) hash.update(`${name}\u0000${labels[name]}\u0001`);
  return hash.digest('hex').slice(0, 16);
}
