import { BadUserInputError, OverloadedError } from '../../errors';
import type { Metrics } from '../observability/metrics';
import type { SandboxPool, SandboxResult } from '../sandbox/sandbox-pool';
import type { ChannelMessage } from './message';
import { parseTemplate, renderDefaultTemplates, type ChannelTemplates, type RenderedMessage } from './template-engine';
import { sampleMessages } from './template-samples';

export type { ChannelTemplates, RenderedMessage } from './template-engine';

const FIELDS = ['title', 'body', 'html'] as const;

/** A channel's templates as the delivery path holds them. */
export interface TemplateSet {
  templates: ChannelTemplates;
  /** The plugin's own templates: used when the channel has none, and when the channel's fail. */
  defaults: ChannelTemplates;
  /** True when the channel sets any template of its own. */
  custom: boolean;
}

/**
 * Renders channel messages. The defaults are AlertAgent's own, bounded templates and render in
 * place; a channel's own templates render in the sandbox under a time limit, and when they fail,
 * overrun or the sandbox is full, the message goes out with the defaults instead of not at all.
 */
export class TemplateRenderer {
  constructor(
    private readonly sandbox: SandboxPool,
    private readonly timeoutMs: number,
    private readonly metrics: Pick<Metrics, 'templateFallbacks'>,
  ) {}

  async render(set: TemplateSet, message: ChannelMessage, channelName: string): Promise<RenderedMessage> {
    if (!set.custom) return renderDefaultTemplates(set.defaults, message);
    const result = await this.sandbox.run('renderTemplates', { templates: set.templates, message }, this.timeoutMs);
    if (result.ok) return result.value;
    this.metrics.templateFallbacks.inc({ channel: channelName, reason: result.reason });
    const rendered = await renderDefaultTemplates(set.defaults, message);
    return { ...rendered, fallback: `the channel's templates could not be used (${result.message}); sent with the default templates` };
  }

  /**
   * One sample render for a check. The time limit counts from when the task is queued, so on a
   * busy machine (or behind another caller's costly template) a template can miss it without
   * being at fault: a miss or a full sandbox is tried again, twice, before the template is
   * judged; a full sandbox to the end is the server's state, not the input's (OVERLOADED).
   */
  private async tryOnSample(templates: ChannelTemplates, message: ChannelMessage): Promise<SandboxResult<RenderedMessage>> {
    let result = await this.sandbox.run('renderTemplates', { templates, message }, this.timeoutMs);
    for (let retry = 0; retry < 2 && !result.ok && result.reason !== 'error'; retry += 1) {
      await new Promise((r) => setTimeout(r, 200));
      result = await this.sandbox.run('renderTemplates', { templates, message }, this.timeoutMs);
    }
    if (!result.ok && result.reason === 'busy') throw new OverloadedError(`templates cannot be checked now: ${result.message}`, 5);
    return result;
  }

  /**
   * Refuses, before a channel is saved, templates that do not parse, that read files, or that
   * fail or overrun their time limit on sample alerts (a few, many, resolved, a test message).
   */
  async check(input: Partial<Record<(typeof FIELDS)[number], string>>, fieldPrefix: string): Promise<void> {
    for (const field of FIELDS) {
      const source = input[field];
      if (source === undefined) continue;
      try {
        parseTemplate(source);
      } catch (err) {
        throw BadUserInputError.forField(`${fieldPrefix}.${field}`, `template does not parse: ${(err as Error).message.split('\n')[0]}`);
      }
    }
    for (const field of FIELDS) {
      const source = input[field];
      if (source === undefined) continue;
      // One template at a time, so the error names the one that fails.
      const alone: ChannelTemplates = { title: '', body: '', html: '', [field]: source };
      for (const { name, message } of sampleMessages()) {
        const result = await this.tryOnSample(alone, message);
        if (!result.ok) {
          throw BadUserInputError.forField(`${fieldPrefix}.${field}`, `template fails on sample alerts (${name}): ${result.message}`);
        }
      }
    }
  }
}

/**
 * What AlertAgent adds to an alert it tells again (an escalation, a smart-routing follow-up, a
 * remediation proposal): why it is told, what the analysis found, and the links to act on it.
 * Rendered only when present, so ordinary alerts read as before. One variant per markup.
 */
const note = (key: string, wrap: (value: string) => string) => `{% if alert.annotations.${key} %}${wrap(`alert.annotations.${key}`)}
{% endif %}`;
/** `filter` (e.g. ` | escape`) is applied to the analysis text, for markups where it must be escaped. */
const analysisLine = (prefix: string, filter: string) =>
  `{% if alert.annotations.analysis_root_cause %}${prefix}analysis: {{ alert.annotations.analysis_root_cause${filter} }}{% if alert.annotations.analysis_confidence %} (confidence {{ alert.annotations.analysis_confidence${filter} }}){% endif %}
{% endif %}{% if alert.annotations.analysis_suggested_actions %}${prefix}suggested: {{ alert.annotations.analysis_suggested_actions${filter} }}
{% endif %}`;
const notes = (strong: (v: string) => string, prefix: string, link: (url: string, label: string) => string, filter = '') =>
  ['escalation', 'follow_up', 'remediation'].map((key) => note(key, strong)).join('') +
  analysisLine(prefix, filter) +
  note('acknowledge', (v) => `${prefix}${link(v, 'Acknowledge')}`) +
  note('approve', (v) => `${prefix}${link(v, 'Approve the remediation')}`);

export const MARKDOWN_NOTES = notes(
  (v) => `**{{ ${v} }}**`,
  '- ',
  (v, label) => `[${label}]({{ ${v} }})`,
);
export const TEXT_NOTES = notes(
  (v) => `{{ ${v} }}`,
  '',
  (v, label) => `${label}: {{ ${v} }}`,
);
export const SLACK_NOTES = notes(
  (v) => `*{{ ${v} }}*`,
  '• ',
  (v, label) => `<{{ ${v} }}|${label}>`,
);
export const HTML_NOTES = notes(
  (v) => `<b>{{ ${v} | escape }}</b><br>`,
  '',
  (v, label) => `<a href="{{ ${v} | escape }}">${label}</a><br>`,
  ' | escape',
);
/** Telegram's HTML: no <br> (newlines are kept), values escaped. */
export const TELEGRAM_NOTES = notes(
  (v) => `<b>{{ ${v} | escape }}</b>`,
  '',
  (v, label) => `<a href="{{ ${v} | escape }}">${label}</a>`,
  ' | escape',
);

/** Shared default wording; plugins adapt the markup. */
export const DEFAULT_TITLE =
  '{% if is_test %}[TEST] AlertAgent channel test{% elsif incident %}{% if incident.notice == "resolved" %}[INCIDENT RESOLVED] {{ incident.title }}: all {{ incident.total }} alerts resolved{% else %}[INCIDENT UPDATE {{ incident.sequence }}] {{ incident.title }}: {{ incident.added }} new, {{ incident.resolved }} resolved, {{ incident.firing }} of {{ incident.total }} firing{% endif %}{% else %}[{{ status | upcase }}{% if status == "firing" %}:{{ firing.size }}{% endif %}] {{ alertname }}{% if severity != "" %} ({{ severity }}){% endif %}{% endif %}';

export const DEFAULT_MARKDOWN_BODY = `{% if incident %}**Update of incident "{{ incident.title }}" (opened {{ incident.openedAt }}), not a new problem.** Alerts that changed:

{% endif %}{% for alert in alerts limit: 20 %}**{{ alert.status | upcase }}** {{ alert.labels.alertname }}{% if alert.labels.severity %} · {{ alert.labels.severity }}{% endif %}
{% if alert.annotations.summary %}> {{ alert.annotations.summary }}
{% endif %}{% if alert.annotations.description %}{{ alert.annotations.description }}
{% endif %}${MARKDOWN_NOTES}- labels: {{ alert.labels | label_pairs }}
- since: {{ alert.startsAt }}{% if alert.status == "resolved" and alert.endsAt %} · resolved: {{ alert.endsAt }}{% endif %}
{% if alert.generatorURL %}- [source]({{ alert.generatorURL }})
{% endif %}
{% endfor %}{% if count > 20 %}…and {{ count | minus: 20 }} more
{% endif %}{% if truncatedAlerts and truncatedAlerts > 0 %}({{ truncatedAlerts }} alerts were cut by Alertmanager's max_alerts)
{% endif %}{% if externalURL %}[Alertmanager]({{ externalURL }}){% endif %}`;

export const DEFAULT_TEXT_BODY = `{% if incident %}Update of incident "{{ incident.title }}" (opened {{ incident.openedAt }}), not a new problem. Alerts that changed:

{% endif %}{% for alert in alerts limit: 20 %}[{{ alert.status | upcase }}] {{ alert.labels.alertname }}{% if alert.labels.severity %} ({{ alert.labels.severity }}){% endif %}
{% if alert.annotations.summary %}{{ alert.annotations.summary }}
{% endif %}${TEXT_NOTES}labels: {{ alert.labels | label_pairs }}
since: {{ alert.startsAt }}
{% endfor %}{% if count > 20 %}…and {{ count | minus: 20 }} more{% endif %}`;
