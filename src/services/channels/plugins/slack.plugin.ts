import { z } from 'zod';
import { tlsOf } from '../../shared/tls-options';
import { escapeMarkup, type ChannelPlugin } from '../channel-plugin';
import { DEFAULT_TITLE, SLACK_NOTES } from '../templates';
import { truncateToChars } from '../text-budget';
import { judgeHttpStatus, sendOverHttp } from './send-over-http';
import { httpChannelSchema } from './http-channel-schema';

/** Slack limits: header text 150 chars, section text 3,000 chars, 50 blocks, top-level text ~40,000 chars. */
export const SLACK_LIMITS = { header: 150, section: 3_000, blocks: 50, text: 40_000 } as const;

const schema = httpChannelSchema({
  webhookUrl: z.url({ message: 'expected the incoming webhook URL' }).refine((u) => /^https?:\/\//.test(u), 'expected an http(s) URL'),
});

export type SlackConfig = z.output<typeof schema>;

const SLACK_BODY = `{% if incident %}*Update of incident "{{ incident.title }}"* (opened {{ incident.openedAt }}), not a new problem. Alerts that changed:
{% endif %}{% for alert in alerts limit: 20 %}*{{ alert.status | upcase }}* {{ alert.labels.alertname }}{% if alert.labels.severity %} · {{ alert.labels.severity }}{% endif %}
{% if alert.annotations.summary %}>{{ alert.annotations.summary }}
{% endif %}${SLACK_NOTES}\`{{ alert.labels | label_pairs }}\`{% if alert.generatorURL %} · <{{ alert.generatorURL }}|source>{% endif %}
{% endfor %}{% if count > 20 %}…and {{ count | minus: 20 }} more{% endif %}`;

/** Splits mrkdwn into section-sized pieces on line boundaries where possible. */
function sections(text: string, max: number): string[] {
  const pieces: string[] = [];
  let current = '';
  for (const line of text.split('\n')) {
    const candidate = current ? `${current}\n${line}` : line;
    if (candidate.length <= max) {
      current = candidate;
      continue;
    }
    if (current) pieces.push(current);
    current = truncateToChars(line, max);
  }
  if (current) pieces.push(current);
  return pieces;
}

/** Slack incoming webhook: Block Kit with a plain-text fallback; 429 + Retry-After is honoured. */
export const slackPlugin: ChannelPlugin<SlackConfig> = {
  type: 'slack',
  displayName: 'Slack incoming webhook',
  description: 'A Slack incoming webhook; Block Kit message with a text fallback',
  schema,
  secretFields: ['webhookUrl', 'tlsKey'],
  defaultTemplates: { title: DEFAULT_TITLE, body: SLACK_BODY },
  // Slack's own escaping: `<!channel>`, `<@U123>` and links in a label become plain text.
  quoteValue: escapeMarkup,
  // One message a second, short bursts allowed.
  robotLimit: { perMinute: 60, burst: 3 },
  robotIdentity: (config) => config.webhookUrl,
  mergeBudgetBytes: () => 12_000,
  async send(config, rendered, message, context) {
    // plain_text shows entities as written, and cannot mention anyone: the title goes unescaped there.
    const plainTitle = rendered.title.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
    const headerBlock = {
      type: 'header',
      text: { type: 'plain_text', text: truncateToChars(plainTitle, SLACK_LIMITS.header, '…'), emoji: true },
    };
    const contextBlock = message.externalURL
      ? [{ type: 'context', elements: [{ type: 'mrkdwn', text: `<${message.externalURL}|Alertmanager>` }] }]
      : [];
    const room = SLACK_LIMITS.blocks - 1 - contextBlock.length;
    const bodySections = sections(rendered.body || ' ', SLACK_LIMITS.section);
    const kept = bodySections.slice(0, room);
    if (bodySections.length > room) kept[room - 1] = truncateToChars(kept[room - 1], SLACK_LIMITS.section - 20, '\n…(truncated)');
    const blocks = [headerBlock, ...kept.map((text) => ({ type: 'section', text: { type: 'mrkdwn', text } })), ...contextBlock];
    const payload = { text: truncateToChars(`${rendered.title}\n${rendered.body}`, SLACK_LIMITS.text), blocks };
    return sendOverHttp(
      context.peers,
      {
        url: config.webhookUrl,
        body: JSON.stringify(payload),
        headers: { 'content-type': 'application/json' },
        timeoutMs: config.timeoutMs,
        tls: tlsOf(config),
      },
      (r) => judgeHttpStatus(r, (status, answer) => `Slack answered HTTP ${status}: ${answer || '(empty)'}`),
    );
  },
};
