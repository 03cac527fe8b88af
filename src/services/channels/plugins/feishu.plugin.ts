import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { excerpt, type PeerResponse } from '../../../shared/http-post';
import { tlsOf } from '../../shared/tls-options';
import { breakTags, titleWithKeyword, type ChannelPlugin, type SendOutcome } from '../channel-plugin';
import { DEFAULT_MARKDOWN_BODY, DEFAULT_TITLE } from '../templates';
import { truncateToChars } from '../text-budget';
import { fitJsonBody } from './fit-json';
import { sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

/** Feishu refuses request bodies over 20 KB. */
export const FEISHU_MAX_BODY_BYTES = 20 * 1024;
/** 11232: over 100 a minute or 5 a second; 2200: internal error. Both pass; the rest will not. */
const RETRYABLE = new Set([11232, 2200]);

const schema = httpChannelSchema({
  webhookUrl: z
    .url({ message: 'expected the custom bot webhook URL' })
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL')
    .refine((u) => /\/open-apis\/bot\/v2\/hook\/[^/]+$/.test(new URL(u).pathname), 'expected …/open-apis/bot/v2/hook/<token>'),
  secret: z.string().trim().min(1, 'must not be empty').optional(),
  msgType: z.enum(['interactive', 'text']).default('interactive'),
  /** Mention everyone in the group (text: `<at user_id="all">`; cards: a note element). */
  atAll: z.boolean().default(false),
  keyword: z.string().trim().min(1).optional(),
});

export type FeishuConfig = z.output<typeof schema>;

/** `sign` as Feishu checks it: base64(HMAC-SHA256 keyed with "timestamp\nsecret" over an empty message); timestamp in seconds. */
export function feishuSign(secret: string, timestampSeconds: number): string {
  return createHmac('sha256', `${timestampSeconds}\n${secret}`).update('').digest('base64');
}

/** Feishu answers `{ code, msg }` (older deployments `{ StatusCode, StatusMessage }`), sometimes with HTTP 400 for a refused request. */
function judgeFeishu(response: PeerResponse): SendOutcome {
  const { status, text, latencyMs } = response;
  const peerAnswer = excerpt(text);
  let parsed: { code?: unknown; msg?: unknown; StatusCode?: unknown; StatusMessage?: unknown } | null = null;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = null;
  }
  const code = parsed ? Number(parsed.code ?? parsed.StatusCode) : Number.NaN;
  if (status >= 200 && status < 300 && code === 0) return { ok: true, status, latencyMs, peerAnswer };
  if (Number.isNaN(code))
    return {
      ok: false,
      retryable: status === 429 || status >= 500 || status === 200,
      status,
      latencyMs,
      error: `Feishu answered HTTP ${status} without a code`,
      peerAnswer,
    };
  return {
    ok: false,
    retryable: RETRYABLE.has(code) || status === 429 || status >= 500,
    status,
    latencyMs,
    error: `Feishu code ${code}: ${String(parsed?.msg ?? parsed?.StatusMessage ?? '')}`,
    peerAnswer,
  };
}

/** Feishu/Lark group custom bot: an interactive card (or text), signed when a secret is set. */
export const feishuPlugin: ChannelPlugin<FeishuConfig> = {
  type: 'feishu',
  displayName: 'Feishu / Lark bot',
  description: 'A Feishu or Lark group custom bot (webhook …/open-apis/bot/v2/hook/<token>; optional signing secret and keyword)',
  schema,
  secretFields: ['webhookUrl', 'secret', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: DEFAULT_MARKDOWN_BODY },
  // `<at id=all>` or `<font>` in a label must not mention the group or restyle the card.
  quoteValue: breakTags,
  // 100 a minute and 5 a second: a burst of 3 plus the refill (97 a minute) keeps both.
  robotLimit: { perMinute: 100, burst: 3 },
  robotIdentity: (config) => config.webhookUrl,
  mergeBudgetBytes: () => FEISHU_MAX_BODY_BYTES - 2_500,
  async send(config, rendered, message, context) {
    const title = truncateToChars(titleWithKeyword(rendered.title, config.keyword), 200, '…');
    const timestamp = Math.floor(context.now.getTime() / 1000);
    const signature = config.secret ? { timestamp: String(timestamp), sign: feishuSign(config.secret, timestamp) } : {};
    const colour = message.kind === 'test' ? 'blue' : message.status === 'resolved' ? 'green' : 'red';
    const build = (content: string) =>
      config.msgType === 'text'
        ? {
            ...signature,
            msg_type: 'text',
            content: { text: `${title}\n${content}${config.atAll ? '\n<at user_id="all">所有人</at>' : ''}` },
          }
        : {
            ...signature,
            msg_type: 'interactive',
            card: {
              config: { wide_screen_mode: true },
              header: { title: { tag: 'plain_text', content: title }, template: colour },
              elements: [{ tag: 'markdown', content }, ...(config.atAll ? [{ tag: 'markdown', content: '<at id=all></at>' }] : [])],
            },
          };
    const body = fitJsonBody(build, rendered.body || ' ', FEISHU_MAX_BODY_BYTES);
    return sendOverHttp(
      context.peers,
      { url: config.webhookUrl, body, headers: { 'content-type': 'application/json' }, timeoutMs: config.timeoutMs, tls: tlsOf(config) },
      judgeFeishu,
    );
  },
};
