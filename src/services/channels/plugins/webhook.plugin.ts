import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { tlsOf } from '../../shared/tls-options';
import type { ChannelPlugin } from '../channel-plugin';
import type { ChannelMessage } from '../message';
import { DEFAULT_TEXT_BODY, DEFAULT_TITLE } from '../templates';
import { judgeHttpStatus, sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

export const SIGNATURE_HEADER = 'x-alertagent-signature';
export const TIMESTAMP_HEADER = 'x-alertagent-timestamp';
export const IDEMPOTENCY_HEADER = 'idempotency-key';

const RESERVED_HEADERS = new Set(['content-type', 'content-length', 'host', SIGNATURE_HEADER, TIMESTAMP_HEADER, IDEMPOTENCY_HEADER]);

const schema = httpChannelSchema({
  url: z.url({ message: 'expected a URL' }).refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL'),
  headers: z
    .record(z.string().regex(/^[A-Za-z0-9-]{1,64}$/, 'header names are letters, digits and -'), z.string().max(4_096))
    .refine(
      (h) => Object.keys(h).every((k) => !RESERVED_HEADERS.has(k.toLowerCase())),
      'content-type, host and the signature headers are set by AlertAgent',
    )
    .default({}),
  signingSecret: z.string().min(16, 'must be at least 16 characters').optional(),
  /**
   * `alertmanager`: the Alertmanager v4 webhook body; `rendered`: { title, body, status, alerts };
   * `template`: the channel's body template, which must render to JSON.
   */
  bodyFormat: z.enum(['alertmanager', 'rendered', 'template']).default('alertmanager'),
});

export type WebhookConfig = z.output<typeof schema>;

/** The signature a receiver recomputes: hex HMAC-SHA256(secret, "<timestamp>.<body>"). */
export function webhookSignature(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}

/** The body Alertmanager itself would send, so existing receivers keep working unchanged. */
export function alertmanagerBody(message: ChannelMessage): Record<string, unknown> {
  return {
    version: '4',
    groupKey: message.groupKey ?? '',
    truncatedAlerts: message.truncatedAlerts ?? 0,
    status: message.status,
    receiver: message.receiver ?? '',
    groupLabels: message.groupLabels,
    commonLabels: message.commonLabels,
    commonAnnotations: message.commonAnnotations,
    externalURL: message.externalURL ?? '',
    // Receivers that ignore unknown fields read an ordinary notification; others can tell an incident update.
    ...(message.incident ? { incident: message.incident } : {}),
    alerts: message.alerts.map((a) => ({
      status: a.status,
      labels: a.labels,
      annotations: a.annotations,
      startsAt: a.startsAt,
      endsAt: a.endsAt ?? '0001-01-01T00:00:00Z',
      generatorURL: a.generatorURL ?? '',
      fingerprint: a.fingerprint ?? '',
    })),
  };
}

/** Generic webhook: JSON POST, custom headers, optional HMAC signature with a timestamp, an idempotency key. */
export const webhookPlugin: ChannelPlugin<WebhookConfig> = {
  type: 'webhook',
  displayName: 'Webhook',
  description: 'POST JSON to any URL (Alertmanager-compatible body by default), optionally signed with HMAC-SHA256',
  schema,
  // The URL too: receivers often take their credential in it (a path token, ?key=…).
  secretFields: ['url', 'headers', 'signingSecret', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: DEFAULT_TEXT_BODY },
  rendersTemplates: (config) => config.bodyFormat !== 'alertmanager',
  async send(config, rendered, message, context) {
    let body: string;
    // When the channel's body template could not be used, the rendered defaults go out in the `rendered` shape.
    if (config.bodyFormat === 'template' && !rendered.fallback) {
      try {
        body = JSON.stringify(JSON.parse(rendered.body));
      } catch (err) {
        return { ok: false, retryable: false, latencyMs: 0, error: `body template did not render to JSON: ${(err as Error).message}` };
      }
    } else {
      const payload =
        config.bodyFormat === 'alertmanager'
          ? alertmanagerBody(message)
          : { title: rendered.title, body: rendered.body, status: message.status, alerts: message.alerts };
      body = JSON.stringify(payload);
    }
    const headers: Record<string, string> = {
      ...config.headers,
      'content-type': 'application/json',
      [IDEMPOTENCY_HEADER]: context.idempotencyKey,
    };
    if (config.signingSecret) {
      const timestamp = String(Math.floor(context.now.getTime() / 1000));
      headers[TIMESTAMP_HEADER] = timestamp;
      headers[SIGNATURE_HEADER] = webhookSignature(config.signingSecret, timestamp, body);
    }
    return sendOverHttp(context.peers, { url: config.url, body, headers, timeoutMs: config.timeoutMs, tls: tlsOf(config) }, (r) =>
      judgeHttpStatus(r, (status) => `webhook answered HTTP ${status}`),
    );
  },
};
