import { createHash } from 'node:crypto';
import { z } from 'zod';
import { tlsOf } from '../../shared/tls-options';
import type { ChannelPlugin, SendOutcome } from '../channel-plugin';
import type { AlertView, ChannelMessage } from '../message';
import { labelPairs } from '../template-engine';
import { DEFAULT_TEXT_BODY, DEFAULT_TITLE } from '../templates';
import { truncateToChars } from '../text-budget';
import { judgeHttpStatus, sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;
type Severity = (typeof SEVERITIES)[number];
/** PagerDuty's limits: summary 1,024 characters, dedup_key 255. */
const SUMMARY_MAX = 1_024;

const schema = httpChannelSchema({
  routingKey: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9]{32}$/, 'expected the 32-character integration (routing) key of an Events API v2 integration'),
  apiUrl: z
    .url({ message: 'expected the Events API v2 enqueue URL' })
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL')
    .default('https://events.pagerduty.com/v2/enqueue'),
  /** For alerts whose `severity` label is none of critical, error, warning or info. */
  defaultSeverity: z.enum(SEVERITIES).default('error'),
});

export type PagerDutyConfig = z.output<typeof schema>;

/** The alert's fingerprint as PagerDuty's dedup_key, so its resolution resolves the same incident. */
export function dedupKey(alert: AlertView): string {
  if (alert.fingerprint) return alert.fingerprint;
  const labels = Object.entries(alert.labels).sort(([a], [b]) => a.localeCompare(b));
  return createHash('sha256').update(JSON.stringify(labels)).digest('hex').slice(0, 32);
}

function severityOf(alert: AlertView, fallback: Severity): Severity {
  const label = (alert.labels.severity ?? '').toLowerCase();
  return (SEVERITIES as readonly string[]).includes(label) ? (label as Severity) : fallback;
}

/** One Events API v2 event per alert: trigger while firing, resolve when resolved. */
export function eventsFor(config: PagerDutyConfig, message: ChannelMessage, body: string): object[] {
  return message.alerts.map((alert) => {
    const name = alert.labels.alertname ?? 'alert';
    const summary = alert.annotations.summary ?? alert.annotations.description ?? labelPairs(alert.labels);
    const links = [
      alert.generatorURL && { href: alert.generatorURL, text: 'Source' },
      message.externalURL && { href: message.externalURL, text: 'Alertmanager' },
    ].filter(Boolean);
    const base = { routing_key: config.routingKey, dedup_key: dedupKey(alert) };
    if (alert.status === 'resolved') return { ...base, event_action: 'resolve' };
    return {
      ...base,
      event_action: 'trigger',
      payload: {
        summary: truncateToChars(`${message.kind === 'test' ? '[TEST] ' : ''}${name}: ${summary}`, SUMMARY_MAX, '…'),
        source: alert.labels.instance ?? alert.labels.cluster ?? alert.labels.job ?? 'alertagent',
        severity: severityOf(alert, config.defaultSeverity),
        timestamp: new Date(alert.startsAt).toISOString(),
        component: alert.labels.service ?? alert.labels.job,
        group: alert.labels.cluster ?? alert.labels.namespace,
        class: name,
        custom_details: { labels: alert.labels, annotations: alert.annotations, message: body },
      },
      links,
      client: 'AlertAgent',
      ...(message.externalURL ? { client_url: message.externalURL } : {}),
    };
  });
}

/**
 * PagerDuty Events API v2: each alert is its own event with its fingerprint as dedup_key, so a
 * resolved alert resolves its PagerDuty incident and a repeat never opens a second one. The
 * events of a message go one after another; a retry sends them all again, which PagerDuty
 * deduplicates by key. A channel test triggers an info event and resolves it at once.
 */
export const pagerDutyPlugin: ChannelPlugin<PagerDutyConfig> = {
  type: 'pagerduty',
  displayName: 'PagerDuty',
  description: 'A PagerDuty service through an Events API v2 integration: alerts trigger and resolve incidents by fingerprint',
  schema,
  secretFields: ['routingKey', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: DEFAULT_TEXT_BODY },
  destinations: (config) => [{ field: 'apiUrl', url: config.apiUrl }],
  // 120 events a minute per integration key; each alert is its own event with its own dedup_key, so never merged.
  robotLimit: { perMinute: 120, burst: 60 },
  robotIdentity: (config) => config.routingKey,
  requestsPerMessage: (message) => Math.max(1, message.alerts.length),
  async send(config, rendered, message, context) {
    const events = eventsFor(config, message, `${rendered.title}\n${rendered.body}`);
    if (message.kind === 'test') events.push({ ...(events[0] as object), event_action: 'resolve', payload: undefined });
    let last: SendOutcome = { ok: false, retryable: false, latencyMs: 0, error: 'the message holds no alert' };
    for (const event of events) {
      last = await sendOverHttp(
        context.peers,
        {
          url: config.apiUrl,
          body: JSON.stringify(event),
          headers: { 'content-type': 'application/json' },
          timeoutMs: config.timeoutMs,
          tls: tlsOf(config),
        },
        (r) => judgeHttpStatus(r, (status, answer) => `PagerDuty answered HTTP ${status}: ${answer || '(empty)'}`),
      );
      if (!last.ok) return last;
    }
    return last;
  },
};
