import type { z } from 'zod';
import type { PeerClient } from '../../shared/http-post';
import type { ChannelMessage } from './message';
import type { ChannelTemplates, RenderedMessage } from './templates';

/** How a peer's answer is classified: delivered, worth retrying, or never going to work as sent. */
export type SendOutcome =
  | { ok: true; status?: number; latencyMs: number; peerAnswer: string }
  | { ok: false; retryable: boolean; retryAfterMs?: number; status?: number; latencyMs: number; error: string; peerAnswer?: string };

export interface SendContext {
  /** Stable across the retries of one delivery; peers that deduplicate receive it. */
  idempotencyKey: string;
  /** The HTTP client under the egress policy; plugins call peers through it. */
  peers: PeerClient;
  attempt: number;
  now: Date;
}

/** What a probe found: reachable with working credentials, or why not; nothing was posted. */
export interface ProbeOutcome {
  ok: boolean;
  latencyMs: number;
  detail: string;
}

/**
 * One kind of channel. Adding a type is one module implementing this and one line in the
 * registry: the schema validates input and is published through GraphQL for forms, the
 * secret fields are sealed at rest and masked in answers.
 */
export interface ChannelPlugin<C extends Record<string, unknown> = Record<string, unknown>> {
  readonly type: string;
  readonly displayName: string;
  readonly description: string;
  readonly schema: z.ZodType<C>;
  readonly secretFields: readonly string[];
  readonly defaultTemplates: ChannelTemplates;
  /** Where this config sends, for the egress policy at save time; by default every http(s) URL among the settings. */
  destinations?(config: C): Array<{ field: string; url: string }>;
  /** False when this config sends no rendered text (e.g. a webhook forwarding the Alertmanager body); rendering is then skipped. */
  rendersTemplates?(config: C): boolean;
  /**
   * Makes one label or annotation value inert in this channel's markup before templates see it,
   * so that an alert cannot mention everyone or change the message's layout (e.g. Slack's
   * `<!channel>`, WeCom's `<@userid>`, Feishu's `<at id=all>`). Absent when the markup has no such
   * syntax or the templates escape values themselves.
   */
  quoteValue?(value: string): string;
  /**
   * Checks reachability and credentials without posting a message, where the protocol allows it
   * (Telegram getMe, an SMTP login). Absent for robots that can only be checked by posting.
   */
  probe?(config: C, context: Pick<SendContext, 'peers'>): Promise<ProbeOutcome>;
  /**
   * The peer's documented send limit per robot (DingTalk's 20 a minute …): sends wait for a
   * token instead of being refused. Absent when the peer documents none we must respect.
   */
  readonly robotLimit?: { perMinute: number; burst: number };
  /** What identifies the robot at the peer (its token, its URL): channels naming the same robot share its limit. */
  robotIdentity?(config: C): string;
  /** Requests one message costs against the robot's limit when it is more than one (PagerDuty: one event per alert). */
  requestsPerMessage?(message: ChannelMessage): number;
  /**
   * How large the body of one message may grow, as JSON-escaped UTF-8 bytes, when messages
   * waiting for the robot are merged into one. Absent: messages are never merged (each event
   * stands alone, as PagerDuty's do, or the body is not text).
   */
  mergeBudgetBytes?(config: C): number;
  send(config: C, rendered: RenderedMessage, message: ChannelMessage, context: SendContext): Promise<SendOutcome>;
}

/** `&`, `<` and `>` as entities: what Slack's mrkdwn and Telegram's HTML both ask of plain text. */
export const escapeMarkup = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The title with the robot's keyword in front unless it holds it already: keyword-secured robots drop messages without it. */
export const titleWithKeyword = (title: string, keyword: string | undefined): string =>
  keyword && !title.includes(keyword) ? `${keyword} ${title}` : title;

/** A zero-width space after every `<`: the text reads the same, and no tag or mention starts there. */
export const breakTags = (value: string): string => value.replace(/</g, '<\u200b');

/** Longest label or annotation value a template sees; the alert record keeps the whole value. */
export const VALUE_MAX_CHARS = 2_000;
// C0 controls and DEL but tab, line feed and carriage return: they render as nothing or as
// garbage, and some peers refuse a body that holds them.
const CONTROL = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/**
 * A value as every channel may show it: control characters gone, and cut at VALUE_MAX_CHARS
 * with a marker, so one runaway annotation cannot crowd the rest of a message out of a robot's
 * size limit.
 */
export function displayableValue(value: string): string {
  const clean = value.replace(CONTROL, '');
  return clean.length > VALUE_MAX_CHARS ? `${clean.slice(0, VALUE_MAX_CHARS)}…(${clean.length - VALUE_MAX_CHARS} more characters)` : clean;
}

/** `message` with every label and annotation value passed through `quote`; URLs are left as they are. */
export function quoteMessageValues(message: ChannelMessage, quote: (value: string) => string): ChannelMessage {
  const each = (values: Record<string, string>) => Object.fromEntries(Object.entries(values).map(([k, v]) => [k, quote(v)]));
  return {
    ...message,
    alerts: message.alerts.map((alert) => ({ ...alert, labels: each(alert.labels), annotations: each(alert.annotations) })),
    groupLabels: each(message.groupLabels),
    commonLabels: each(message.commonLabels),
    commonAnnotations: each(message.commonAnnotations),
  };
}

/** Shared classification of plain HTTP answers for peers without a protocol of their own. */
export function classifyHttpStatus(status: number): { ok: boolean; retryable: boolean } {
  if (status >= 200 && status < 300) return { ok: true, retryable: false };
  return { ok: false, retryable: status === 408 || status === 429 || status >= 500 };
}

/** Retry-After in seconds or as an HTTP date, as milliseconds; undefined when absent or unreadable. */
export function retryAfterMs(header: string | null, now = Date.now()): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(header);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
