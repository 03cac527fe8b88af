import { z } from 'zod';
import { tlsOf } from '../../shared/tls-options';
import type { ChannelPlugin } from '../channel-plugin';
import { DEFAULT_MARKDOWN_BODY, DEFAULT_TITLE } from '../templates';
import { truncateToChars } from '../text-budget';
import { fitJsonBody } from './fit-json';
import { judgeHttpStatus, sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

/** Teams refuses messages over about 28 KB; keep a margin for the envelope Workflows adds. */
export const TEAMS_MAX_BODY_BYTES = 27 * 1024;

const schema = httpChannelSchema({
  webhookUrl: z
    .url({ message: 'expected the Workflows "When a Teams webhook request is received" URL' })
    .refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL'),
  /** People to mention in the card: Teams user principal names (e.g. someone@example.com). */
  mentions: z
    .array(z.email({ message: 'expected a user principal name (an email address)' }))
    .max(20)
    .default([]),
});

export type TeamsConfig = z.output<typeof schema>;

/**
 * Microsoft Teams through a Workflows webhook (the connector-based incoming webhooks are being
 * retired): one Adaptive Card with the title, the body as a markdown TextBlock, mentions, and a
 * button to Alertmanager. The card is built here, so no template can make it invalid.
 */
export const teamsPlugin: ChannelPlugin<TeamsConfig> = {
  type: 'teams',
  displayName: 'Microsoft Teams (Workflows)',
  description: 'A Microsoft Teams channel or chat through a Workflows webhook, as an Adaptive Card',
  schema,
  secretFields: ['webhookUrl', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: DEFAULT_MARKDOWN_BODY },
  // Teams throttles connectors at a few requests a second and fewer over longer windows; 30 a minute stays clear of both.
  robotLimit: { perMinute: 30, burst: 4 },
  robotIdentity: (config) => config.webhookUrl,
  mergeBudgetBytes: () => TEAMS_MAX_BODY_BYTES - 3_000,
  async send(config, rendered, message, context) {
    const colour = message.kind === 'test' ? 'Accent' : message.status === 'resolved' ? 'Good' : 'Attention';
    const mentionText = config.mentions.map((upn) => `<at>${upn}</at>`).join(' ');
    const entities = config.mentions.map((upn) => ({ type: 'mention', text: `<at>${upn}</at>`, mentioned: { id: upn, name: upn } }));
    const actions = message.externalURL ? [{ type: 'Action.OpenUrl', title: 'Open Alertmanager', url: message.externalURL }] : [];
    const build = (text: string) => ({
      type: 'message',
      attachments: [
        {
          contentType: 'application/vnd.microsoft.card.adaptive',
          contentUrl: null,
          content: {
            $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
            type: 'AdaptiveCard',
            version: '1.4',
            body: [
              {
                type: 'TextBlock',
                text: truncateToChars(rendered.title, 300, '…'),
                weight: 'Bolder',
                size: 'Medium',
                color: colour,
                wrap: true,
              },
              { type: 'TextBlock', text: text || ' ', wrap: true },
              ...(mentionText ? [{ type: 'TextBlock', text: mentionText, wrap: true }] : []),
            ],
            actions,
            ...(entities.length ? { msteams: { entities, width: 'Full' } } : { msteams: { width: 'Full' } }),
          },
        },
      ],
    });
    const body = fitJsonBody(build, rendered.body, TEAMS_MAX_BODY_BYTES);
    return sendOverHttp(
      context.peers,
      { url: config.webhookUrl, body, headers: { 'content-type': 'application/json' }, timeoutMs: config.timeoutMs, tls: tlsOf(config) },
      (r) => judgeHttpStatus(r, (status, answer) => `Teams Workflows answered HTTP ${status}: ${answer || '(empty)'}`),
    );
  },
};
