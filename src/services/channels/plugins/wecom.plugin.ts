import { z } from 'zod';
import { tlsOf } from '../../shared/tls-options';
import { breakTags, type ChannelPlugin } from '../channel-plugin';
import { DEFAULT_MARKDOWN_BODY, DEFAULT_TITLE } from '../templates';
import { truncateToBytes } from '../text-budget';
import { judgeErrcode, sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

/** WeCom counts UTF-8 bytes of the content: 4,096 for markdown, 2,048 for text (errcode 40058 beyond). */
export const WECOM_MARKDOWN_MAX_BYTES = 4_096;
export const WECOM_TEXT_MAX_BYTES = 2_048;
/** 45009: over the per-robot rate limit; -1: system busy. */
const RETRYABLE = new Set([45009, -1]);

const schema = httpChannelSchema({
  webhookUrl: z
    .url({ message: 'expected the robot webhook URL' })
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL')
    .refine((u) => new URL(u).searchParams.has('key'), 'expected the URL to carry key=…'),
  msgType: z.enum(['markdown', 'text']).default('markdown'),
  mentionedList: z.array(z.string().trim().min(1)).max(50).default([]),
  mentionedMobileList: z
    .array(z.string().regex(/^\+?[0-9][0-9-]{4,19}$/, 'expected a phone number'))
    .max(50)
    .default([]),
});

export type WeComConfig = z.output<typeof schema>;

/** WeCom (WeChat Work) group robot: markdown or text within WeCom's byte limits, with mentions. */
export const weComPlugin: ChannelPlugin<WeComConfig> = {
  type: 'wecom',
  displayName: 'WeCom robot',
  description: 'A WeCom (WeChat Work) group robot webhook (key=…), markdown or text, with mentions',
  schema,
  secretFields: ['webhookUrl', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: DEFAULT_MARKDOWN_BODY },
  // `<@userid>` or `<font>` in a label must not mention anyone or restyle the message.
  quoteValue: breakTags,
  robotLimit: { perMinute: 20, burst: 10 },
  robotIdentity: (config) => new URL(config.webhookUrl).searchParams.get('key') ?? config.webhookUrl,
  // The limits apply to the content alone; the title and the mention line share it.
  mergeBudgetBytes: (config) => (config.msgType === 'text' ? WECOM_TEXT_MAX_BYTES : WECOM_MARKDOWN_MAX_BYTES) - 400,
  async send(config, rendered, _message, context) {
    let payload: unknown;
    if (config.msgType === 'text') {
      const content = truncateToBytes(`${rendered.title}\n${rendered.body}`, WECOM_TEXT_MAX_BYTES);
      payload = {
        msgtype: 'text',
        text: { content, mentioned_list: config.mentionedList, mentioned_mobile_list: config.mentionedMobileList },
      };
    } else {
      // Markdown messages cannot carry mention lists; WeCom renders <@userid> in the content instead.
      const mentions = config.mentionedList.map((id) => `<@${id}>`).join(' ');
      const suffix = mentions ? `\n${mentions}` : '';
      const content =
        truncateToBytes(`**${rendered.title}**\n${rendered.body}`, WECOM_MARKDOWN_MAX_BYTES - Buffer.byteLength(suffix)) + suffix;
      payload = { msgtype: 'markdown', markdown: { content } };
    }
    return sendOverHttp(
      context.peers,
      {
        url: config.webhookUrl,
        body: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' },
        timeoutMs: config.timeoutMs,
        tls: tlsOf(config),
      },
      (r) => judgeErrcode(r, RETRYABLE, 'WeCom'),
    );
  },
};
