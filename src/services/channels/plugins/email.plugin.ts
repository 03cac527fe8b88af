import { isIP } from 'node:net';
import nodemailer, { type Transporter } from 'nodemailer';
import type { PeerClient } from '../../../shared/http-post';
import { z } from 'zod';
import type { ChannelPlugin } from '../channel-plugin';
import { DEFAULT_TEXT_BODY, DEFAULT_TITLE, HTML_NOTES } from '../templates';

const address = z.email({ message: 'expected an email address' });

const schema = z.strictObject({
  host: z.string().trim().min(1, 'must not be empty'),
  port: z.number().int().min(1).max(65_535).default(587),
  /** tls: TLS from the first byte (usually 465); starttls: upgrade required (usually 587); none: plain (tests, local relays). */
  security: z.enum(['tls', 'starttls', 'none']).default('starttls'),
  username: z.string().optional(),
  password: z.string().optional(),
  from: z.string().trim().min(3, 'expected a sender, e.g. "AlertAgent <alerts@example.com>"'),
  to: z.array(address).min(1, 'at least one recipient is needed').max(100),
  cc: z.array(address).max(100).default([]),
  /** Accept self-signed certificates of an internal relay. */
  allowInvalidCertificates: z.boolean().default(false),
  timeoutMs: z.number().int().min(100).max(120_000).default(20_000),
});

export type EmailConfig = z.output<typeof schema>;

const HTML_TEMPLATE = `<h2>{{ title | escape }}</h2>
{% for alert in alerts limit: 50 %}<div style="margin:0 0 12px 0">
<b>{{ alert.status | upcase }}</b> {{ alert.labels.alertname | escape }}{% if alert.labels.severity %} · {{ alert.labels.severity | escape }}{% endif %}<br>
{% if alert.annotations.summary %}{{ alert.annotations.summary | escape }}<br>{% endif %}
${HTML_NOTES}<code>{{ alert.labels | label_pairs | escape }}</code><br>
<small>since {{ alert.startsAt }}{% if alert.generatorURL %} · <a href="{{ alert.generatorURL | escape }}">source</a>{% endif %}</small>
</div>{% endfor %}{% if externalURL %}<p><a href="{{ externalURL | escape }}">Alertmanager</a></p>{% endif %}`;

const CERTIFICATE_PROBLEM = /certificate|CERT_|self[- ]signed/i;

/**
 * SMTP status 4xx is temporary by definition and connection-level failures are worth another
 * try, but a certificate the server will keep presenting fails the same way every time.
 */
function isTemporary(err: { responseCode?: number; code?: string; message?: string }): boolean {
  if (typeof err.responseCode === 'number') return err.responseCode >= 400 && err.responseCode < 500;
  if (CERTIFICATE_PROBLEM.test(err.message ?? '') || CERTIFICATE_PROBLEM.test(err.code ?? '')) return false;
  return ['ECONNECTION', 'ETIMEDOUT', 'ESOCKET', 'ECONNREFUSED', 'EDNS'].includes(err.code ?? '') || err.code === undefined;
}

/** An SMTP transport to the address the egress policy checked (the certificate is still checked against the name). */
async function openTransport(
  config: EmailConfig,
  peers: PeerClient,
): Promise<{ transport: Transporter } | { error: string; retryable: boolean }> {
  let address: string;
  try {
    address = await peers.resolve(config.host);
  } catch (err) {
    const failure = err as Error & { code?: string };
    return { error: `SMTP ${failure.code ?? 'error'}: ${failure.message}`, retryable: failure.code !== 'EEGRESS' };
  }
  const transport = nodemailer.createTransport({
    host: address,
    port: config.port,
    secure: config.security === 'tls',
    requireTLS: config.security === 'starttls',
    ignoreTLS: config.security === 'none',
    auth: config.username ? { user: config.username, pass: config.password ?? '' } : undefined,
    tls: { rejectUnauthorized: !config.allowInvalidCertificates, ...(isIP(config.host) ? {} : { servername: config.host }) },
    connectionTimeout: config.timeoutMs,
    greetingTimeout: config.timeoutMs,
    socketTimeout: config.timeoutMs,
  });
  return { transport };
}

/** Email over SMTP (TLS, STARTTLS or plain; optional auth) with HTML and plain-text parts. */
export const emailPlugin: ChannelPlugin<EmailConfig> = {
  type: 'email',
  displayName: 'Email (SMTP)',
  description: 'Email through an SMTP server, HTML and plain text',
  schema,
  secretFields: ['password'],
  destinations: (config) => [
    { field: 'host', url: `smtp://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}` },
  ],
  defaultTemplates: { title: DEFAULT_TITLE, body: DEFAULT_TEXT_BODY, html: HTML_TEMPLATE },
  async probe(config, context) {
    const opened = await openTransport(config, context.peers);
    if ('error' in opened) return { ok: false, latencyMs: 0, detail: opened.error };
    const started = performance.now();
    try {
      // Connects, says EHLO, upgrades to TLS and logs in as a send would, then quits: nothing is mailed.
      await opened.transport.verify();
      return {
        ok: true,
        latencyMs: performance.now() - started,
        detail: `${config.host}:${config.port} accepted ${config.username ? `the login of ${config.username}` : 'the connection'}`,
      };
    } catch (err) {
      const failure = err as Error & { code?: string };
      return { ok: false, latencyMs: performance.now() - started, detail: `SMTP ${failure.code ?? 'error'}: ${failure.message}` };
    } finally {
      opened.transport.close();
    }
  },
  async send(config, rendered, _message, context) {
    const opened = await openTransport(config, context.peers);
    if ('error' in opened) return { ok: false, retryable: opened.retryable, latencyMs: 0, error: opened.error };
    const { transport } = opened;
    const started = performance.now();
    try {
      const info = await transport.sendMail({
        from: config.from,
        to: config.to,
        cc: config.cc.length > 0 ? config.cc : undefined,
        subject: rendered.title,
        text: rendered.body,
        html: rendered.html,
        messageId: `<${context.idempotencyKey}@alertagent>`,
        headers: { 'X-AlertAgent-Idempotency-Key': context.idempotencyKey },
      });
      return { ok: true, latencyMs: performance.now() - started, peerAnswer: String(info.response ?? '') };
    } catch (err) {
      const failure = err as Error & { responseCode?: number; code?: string; response?: string };
      return {
        ok: false,
        retryable: isTemporary(failure),
        status: failure.responseCode,
        latencyMs: performance.now() - started,
        error: `SMTP ${failure.code ?? 'error'}: ${failure.message}`,
        peerAnswer: failure.response,
      };
    } finally {
      transport.close();
    }
  },
};
