import { Liquid, type RenderOptions } from 'liquidjs';
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
  /** Set when the channel's own templates could not be used and the defaults were: why. */
  fallback?: string;
}

/** Labels as `name=value, …`, the way templates and channels print them. */
export function labelPairs(labels: Record<string, string> | undefined): string {
  return Object.entries(labels ?? {})
    .map(([k, v]) => `${k}=${v}`)
    .join(', ');
}

/** Tags that would read other templates: there is nothing to read, so they are refused where they are written. */
const FILE_TAGS = ['include', 'render', 'layout'] as const;

/**
 * The one Liquid engine, in the main thread and in sandbox workers alike. It has no file system
 * (`templates: {}` keeps every lookup in memory, and the tags that look anything up are refused
 * when a template is parsed), no access to code or prototypes (ownPropertyOnly), and limits on
 * parse size, render time and memory.
 */
function createEngine(): Liquid {
  const engine = new Liquid({
    templates: {},
    relativeReference: false,
    ownPropertyOnly: true,
    strictFilters: true,
    strictVariables: false,
    cache: 200,
    parseLimit: 64 * 1024,
    renderLimit: 500,
    memoryLimit: 8 * 1024 * 1024,
    greedy: false,
  });
  for (const tag of FILE_TAGS) {
    engine.registerTag(tag, {
      parse() {
        throw new Error(`{% ${tag} %} is not available: templates cannot read files or other templates; write the text in this template`);
      },
      render: () => '',
    });
  }
  engine.registerFilter('label_pairs', labelPairs);
  return engine;
}

const engine = createEngine();

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

/** Throws the parser's first line when a template does not parse. */
export function parseTemplate(source: string): void {
  engine.parse(source);
}

/** Renders a channel's own templates, under the engine's limits (in a sandbox worker). */
export function renderTemplates(templates: ChannelTemplates, message: ChannelMessage): Promise<RenderedMessage> {
  return render(templates, message, {});
}

/**
 * Renders AlertAgent's own default templates. They are trusted and bounded (at most 20 alerts
 * listed), so no render-time limit applies: on a starved CPU the limit would otherwise turn a
 * slow render into a message never sent.
 */
export function renderDefaultTemplates(templates: ChannelTemplates, message: ChannelMessage): Promise<RenderedMessage> {
  return render(templates, message, { renderLimit: Infinity });
}

async function render(templates: ChannelTemplates, message: ChannelMessage, options: RenderOptions): Promise<RenderedMessage> {
  const data = scope(message);
  // The body and HTML templates may show the rendered title as `title`.
  const title = (await engine.parseAndRender(templates.title, data, options)).trim();
  const withTitle = { ...data, title };
  const [body, html] = await Promise.all([
    engine.parseAndRender(templates.body, withTitle, options),
    templates.html ? engine.parseAndRender(templates.html, withTitle, options) : Promise.resolve(undefined),
  ]);
  return { title, body: body.trim(), html: html?.trim() };
}
