import { Liquid } from 'liquidjs';
import { BadUserInputError } from '../../errors';
import type { ChannelMessage } from './message';

/** A channel's templates; `html` only matters for email. */
export interface ChannelTemplates {
  title: string;
  body: string;
  html?: string;
}

export interface RenderedMessage {
  title: string;
  body: string;
  html?: string;
}

/**
 * Liquid has no access to code, the file system or prototypes (ownPropertyOnly), and each render
 * is bounded in time and memory, so a user's template can neither escape nor stall a delivery.
 */
const engine = new Liquid({
  ownPropertyOnly: true,
  strictFilters: true,
  strictVariables: false,
  cache: 200,
  parseLimit: 64 * 1024,
  renderLimit: 500,
  memoryLimit: 8 * 1024 * 1024,
  greedy: false,
});

engine.registerFilter('label_pairs', (labels: Record<string, string> | undefined) =>
  Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', '),
);

function scope(message: ChannelMessage) {
  const firing = message.alerts.filter((a) => a.status === 'firing');
  const resolved = message.alerts.filter((a) => a.status === 'resolved');
  return {
    ...message,
    firing,
    resolved,
    count: message.alerts.length,
    alertname: message.commonLabels.alertname ?? message.groupLabels.alertname ?? 'alerts',
    severity: message.commonLabels.severity ?? '',
    is_test: message.kind === 'test',
  };
}

/** Parses a template now, so a broken one is refused when the channel is saved, not when an alert arrives. */
export function checkTemplate(field: string, source: string): void {
  try {
    engine.parse(source);
  } catch (err) {
    throw BadUserInputError.forField(field, `template does not parse: ${(err as Error).message.split('\n')[0]}`);
  }
}

export async function renderMessage(templates: ChannelTemplates, message: ChannelMessage): Promise<RenderedMessage> {
  const data = scope(message);
  // The body and HTML templates may show the rendered title as `title`.
  const title = (await engine.parseAndRender(templates.title, data)).trim();
  const withTitle = { ...data, title };
  const [body, html] = await Promise.all([
    engine.parseAndRender(templates.body, withTitle),
    templates.html ? engine.parseAndRender(templates.html, withTitle) : Promise.resolve(undefined),
  ]);
  return { title, body: body.trim(), html: html?.trim() };
}

/** Shared default wording; plugins adapt the markup. */
export const DEFAULT_TITLE =
  '{% if is_test %}[TEST] AlertAgent channel test{% else %}[{{ status | upcase }}{% if status == "firing" %}:{{ firing.size }}{% endif %}] {{ alertname }}{% if severity != "" %} ({{ severity }}){% endif %}{% endif %}';

export const DEFAULT_MARKDOWN_BODY = `{% for alert in alerts limit: 20 %}**{{ alert.status | upcase }}** {{ alert.labels.alertname }}{% if alert.labels.severity %} · {{ alert.labels.severity }}{% endif %}
{% if alert.annotations.summary %}> {{ alert.annotations.summary }}
{% endif %}{% if alert.annotations.description %}{{ alert.annotations.description }}
{% endif %}- labels: {{ alert.labels | label_pairs }}
- since: {{ alert.startsAt }}{% if alert.status == "resolved" and alert.endsAt %} · resolved: {{ alert.endsAt }}{% endif %}
{% if alert.generatorURL %}- [source]({{ alert.generatorURL }})
{% endif %}
{% endfor %}{% if count > 20 %}…and {{ count | minus: 20 }} more
{% endif %}{% if truncatedAlerts and truncatedAlerts > 0 %}({{ truncatedAlerts }} alerts were cut by Alertmanager's max_alerts)
{% endif %}{% if externalURL %}[Alertmanager]({{ externalURL }}){% endif %}`;

export const DEFAULT_TEXT_BODY = `{% for alert in alerts limit: 20 %}[{{ alert.status | upcase }}] {{ alert.labels.alertname }}{% if alert.labels.severity %} ({{ alert.labels.severity }}){% endif %}
{% if alert.annotations.summary %}{{ alert.annotations.summary }}
{% endif %}labels: {{ alert.labels | label_pairs }}
since: {{ alert.startsAt }}
{% endfor %}{% if count > 20 %}…and {{ count | minus: 20 }} more{% endif %}`;
