import { z } from 'zod';
import { excerpt, type PeerResponse } from '../../../shared/http-post';
import { tlsOf } from '../../shared/tls-options';
import { escapeMarkup, type ChannelPlugin, type SendContext, type SendOutcome } from '../channel-plugin';
import { TRUNCATION_MARKER, truncateToChars } from '../text-budget';
import { DEFAULT_TITLE, TELEGRAM_NOTES } from '../templates';
import { sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

/** sendMessage takes 1–4,096 characters of text after entities are parsed. */
export const TELEGRAM_MAX_CHARS = 4_096;

const schema = httpChannelSchema({
  botToken: z
    .string()
    .trim()
    .regex(/^\d{5,}:[A-Za-z0-9_-]{30,}$/, 'expected a bot token as BotFather gives it (123456:ABC…)'),
  chatId: z
    .union([
      z.number().int(),
      z
        .string()
        .trim()
        .regex(/^(-?\d+|@[A-Za-z][A-Za-z0-9_]{4,31})$/, 'expected a numeric chat id or @channelusername'),
    ])
    .transform(String),
  /** A forum topic of the chat. */
  messageThreadId: z.number().int().positive().optional(),
  /** html: the body template is Telegram HTML (values escaped); text: sent as written, no markup. */
  parseMode: z.enum(['html', 'text']).default('html'),
  disableNotification: z.boolean().default(false),
  /** For a Bot API server of your own (or a proxy); the token is appended as /bot<token>/. */
  apiUrl: z
    .url({ message: 'expected the Bot API base URL' })
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL')
    .default('https://api.telegram.org'),
});

export type TelegramConfig = z.output<typeof schema>;

const TELEGRAM_BODY = `{% if incident %}<b>Update of incident "{{ incident.title | escape }}"</b> (opened {{ incident.openedAt }}), not a new problem. Alerts that changed:

{% endif %}{% for alert in alerts limit: 20 %}<b>{{ alert.status | upcase }}</b> {{ alert.labels.alertname | escape }}{% if alert.labels.severity %} · {{ alert.labels.severity | escape }}{% endif %}
{% if alert.annotations.summary %}{{ alert.annotations.summary | escape }}
{% endif %}${TELEGRAM_NOTES}<code>{{ alert.labels | label_pairs | escape }}</code>{% if alert.generatorURL %} · <a href="{{ alert.generatorURL | escape }}">source</a>{% endif %}

{% endfor %}{% if count > 20 %}…and {{ count | minus: 20 }} more
{% endif %}{% if externalURL %}<a href="{{ externalURL | escape }}">Alertmanager</a>{% endif %}`;

const decodeEntities = (text: string) =>
  text
    .replace(/&#(\d+);/g, (_, n) => String.fromCodePoint(Number(n)))
    .replace(/&#x([0-9a-f]+);/gi, (_, n) => String.fromCodePoint(parseInt(n, 16)))
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&amp;/g, '&');
/** What Telegram shows of HTML: tags gone, entities decoded. */
export const visibleText = (html: string) => decodeEntities(html.replace(/<[^>]*>/g, ''));
const length = (text: string) => Array.from(text).length;

/**
 * HTML within Telegram's 4,096 visible characters. Whole lines are kept while they fit (the
 * default template closes every tag on its line); the line that does not fit is kept as plain
 * text, cut, and escaped again, so no tag or entity is ever split.
 */
export function fitTelegramHtml(html: string, max = TELEGRAM_MAX_CHARS): string {
  if (length(visibleText(html)) <= max) return html;
  const room = max - length(TRUNCATION_MARKER);
  const kept: string[] = [];
  let used = 0;
  for (const line of html.split('\n')) {
    const size = length(visibleText(line)) + (kept.length ? 1 : 0);
    if (used + size <= room) {
      kept.push(line);
      used += size;
      continue;
    }
    const left = room - used - (kept.length ? 1 : 0);
    if (left > 0) kept.push(escapeMarkup(Array.from(visibleText(line)).slice(0, left).join('')));
    break;
  }
  return `${kept.join('\n')}${escapeMarkup(TRUNCATION_MARKER)}`;
}

/** Plain text within the limit, for parse mode text and the fallback when Telegram cannot parse our HTML. */
const fitText = (text: string) => truncateToChars(text, TELEGRAM_MAX_CHARS);

interface BotAnswer {
  ok?: boolean;
  error_code?: number;
  description?: string;
  parameters?: { retry_after?: number };
}

/** Bot API answers `{ ok, error_code, description, parameters.retry_after }`; 429 and 5xx pass, the rest will not. */
function judgeTelegram(response: PeerResponse): SendOutcome {
  const { status, text, latencyMs } = response;
  const peerAnswer = excerpt(text);
  let answer: BotAnswer = {};
  try {
    answer = JSON.parse(text) as BotAnswer;
  } catch {
    answer = {};
  }
  if (status === 200 && answer.ok === true) return { ok: true, status, latencyMs, peerAnswer };
  const retryAfter = answer.parameters?.retry_after;
  const hint = status === 401 ? ' (check the bot token)' : status === 403 ? ' (the bot is not in the chat, or was blocked)' : '';
  return {
    ok: false,
    retryable: status === 429 || status >= 500,
    retryAfterMs: typeof retryAfter === 'number' ? retryAfter * 1000 : undefined,
    status,
    latencyMs,
    error: `Telegram answered ${status}: ${answer.description ?? 'no description'}${hint}`,
    peerAnswer,
  };
}

const cannotParse = (outcome: SendOutcome) => !outcome.ok && outcome.status === 400 && /can't parse entities/i.test(outcome.error);

/** Telegram Bot API sendMessage to a chat, group, forum topic or channel; HTML by default. */
export const telegramPlugin: ChannelPlugin<TelegramConfig> = {
  type: 'telegram',
  displayName: 'Telegram bot',
  description: 'A Telegram bot posting to a chat, group, forum topic or channel (Bot API sendMessage; HTML with escaped values)',
  schema,
  secretFields: ['botToken', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: TELEGRAM_BODY },
  destinations: (config) => [{ field: 'apiUrl', url: config.apiUrl }],
  async probe(config, context) {
    const url = `${config.apiUrl.replace(/\/+$/, '')}/bot${config.botToken}/getMe`;
    const outcome = await sendOverHttp(
      context.peers,
      { url, body: '{}', headers: { 'content-type': 'application/json' }, timeoutMs: config.timeoutMs, tls: tlsOf(config) },
      judgeTelegram,
    );
    if (!outcome.ok) return { ok: false, latencyMs: outcome.latencyMs, detail: outcome.error };
    const username = /"username"\s*:\s*"([^"]+)"/.exec(outcome.peerAnswer)?.[1];
    return { ok: true, latencyMs: outcome.latencyMs, detail: `the token belongs to ${username ? `@${username}` : 'a bot'}` };
  },
  // 20 messages a minute to one group.
  robotLimit: { perMinute: 20, burst: 5 },
  robotIdentity: (config) => `${config.botToken}:${config.chatId}`,
  // 4,096 characters after the markup is parsed; bytes of escaped JSON are a safe upper bound of that.
  mergeBudgetBytes: () => 3_500,
  async send(config, rendered, _message, context) {
    const post = (text: string, html: boolean) => sendMessage(config, context, { text, ...(html ? { parse_mode: 'HTML' } : {}) });
    if (config.parseMode === 'text') return post(fitText(`${rendered.title}\n\n${rendered.body}`), false);
    const outcome = await post(fitTelegramHtml(`<b>${escapeMarkup(rendered.title)}</b>\n\n${rendered.body}`), true);
    // A custom template with markup Telegram cannot parse must not lose the alert: send it as plain text.
    if (!cannotParse(outcome)) return outcome;
    const plain = await post(fitText(`${rendered.title}\n\n${visibleText(rendered.body)}`), false);
    return plain.ok
      ? {
          ...plain,
          peerAnswer: `sent as plain text: Telegram could not parse the HTML (${outcome.ok ? '' : outcome.error}); ${plain.peerAnswer}`,
        }
      : plain;
  },
};

function sendMessage(config: TelegramConfig, context: SendContext, content: { text: string; parse_mode?: string }): Promise<SendOutcome> {
  const body = {
    chat_id: config.chatId,
    ...(config.messageThreadId ? { message_thread_id: config.messageThreadId } : {}),
    ...content,
    disable_notification: config.disableNotification,
    link_preview_options: { is_disabled: true },
  };
  const url = `${config.apiUrl.replace(/\/+$/, '')}/bot${config.botToken}/sendMessage`;
  return sendOverHttp(
    context.peers,
    { url, body: JSON.stringify(body), headers: { 'content-type': 'application/json' }, timeoutMs: config.timeoutMs, tls: tlsOf(config) },
    judgeTelegram,
  );
}
