import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { tlsOf } from '../../shared/tls-options';
import { titleWithKeyword, type ChannelPlugin } from '../channel-plugin';
import { DEFAULT_MARKDOWN_BODY, DEFAULT_TITLE } from '../templates';
import { truncateToBytes } from '../text-budget';
import { fitJsonBody } from './fit-json';
import { judgeErrcode, sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

/** DingTalk refuses bodies over 20,000 bytes (errcode 460101); keep a margin for the signature-free JSON. */
export const DINGTALK_MAX_BODY_BYTES = 20_000;
const TITLE_MAX_BYTES = 256;
/** 130101: over 20 messages a minute; -1: system busy. Both pass; the rest will not. */
const RETRYABLE = new Set([130101, -1]);

const schema = httpChannelSchema({
  webhookUrl: z
    .url({ message: 'expected the robot webhook URL' })
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL')
    .refine((u) => new URL(u).searchParams.has('access_token'), 'expected the URL to carry access_token=…'),
  secret: z.string().trim().min(1, 'must not be empty').optional(),
  msgType: z.enum(['markdown', 'text', 'actionCard']).default('markdown'),
  atMobiles: z
    .array(z.string().regex(/^\+?[0-9][0-9-]{4,19}$/, 'expected a phone number'))
    .max(50)
    .default([]),
  atUserIds: z.array(z.string().trim().min(1)).max(50).default([]),
  atAll: z.boolean().default(false),
  keyword: z.string().trim().min(1).optional(),
});

export type DingTalkConfig = z.output<typeof schema>;

/** `sign` as DingTalk checks it: base64(HMAC-SHA256(secret, "timestamp\nsecret")), URL-encoded. */
export function dingTalkSign(secret: string, timestamp: number): string {
  return encodeURIComponent(createHmac('sha256', secret).update(`${timestamp}\n${secret}`).digest('base64'));
}

function signedUrl(config: DingTalkConfig, now: Date): string {
  if (!config.secret) return config.webhookUrl;
  const timestamp = now.getTime();
  return `${config.webhookUrl}&timestamp=${timestamp}&sign=${dingTalkSign(config.secret, timestamp)}`;
}

function mentionLine(config: DingTalkConfig): string {
  const names = [...config.atMobiles, ...config.atUserIds].map((m) => `@${m}`);
  return names.length > 0 ? `\n\n${names.join(' ')}` : '';
}

/** DingTalk custom robot: markdown, text or actionCard, signed when a secret is set. */
export const dingTalkPlugin: ChannelPlugin<DingTalkConfig> = {
  type: 'dingtalk',
  displayName: 'DingTalk robot',
  description: 'A DingTalk group custom robot (webhook with access_token; optional signing secret, keyword and @mentions)',
  schema,
  secretFields: ['webhookUrl', 'secret', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: `### {{ title }}\n\n${DEFAULT_MARKDOWN_BODY}` },
  robotLimit: { perMinute: 20, burst: 10 },
  robotIdentity: (config) => new URL(config.webhookUrl).searchParams.get('access_token') ?? config.webhookUrl,
  mergeBudgetBytes: () => DINGTALK_MAX_BODY_BYTES - 2_000,
  async send(config, rendered, message, context) {
    const title = truncateToBytes(titleWithKeyword(rendered.title, config.keyword), TITLE_MAX_BYTES);
    const at = { atMobiles: config.atMobiles, atUserIds: config.atUserIds, isAtAll: config.atAll };
    const text = rendered.body;
    const mentions = mentionLine(config);
    const link = message.externalURL ?? message.alerts.find((a) => a.generatorURL)?.generatorURL;
    const kind = config.msgType === 'actionCard' && !link ? 'markdown' : config.msgType;
    const build = (content: string) => {
      if (kind === 'text') return { msgtype: 'text', text: { content: `${title}\n${content}${mentions}` }, at };
      if (kind === 'actionCard')
        return { msgtype: 'actionCard', actionCard: { title, text: content, singleTitle: 'Open', singleURL: link } };
      return { msgtype: 'markdown', markdown: { title, text: `${content}${mentions}` }, at };
    };
    const body = fitJsonBody(build, text, DINGTALK_MAX_BODY_BYTES);
    return sendOverHttp(
      context.peers,
      {
        url: signedUrl(config, context.now),
        body,
        headers: { 'content-type': 'application/json' },
        timeoutMs: config.timeoutMs,
        tls: tlsOf(config),
      },
      (r) => judgeErrcode(r, RETRYABLE, 'DingTalk'),
    );
  },
};
