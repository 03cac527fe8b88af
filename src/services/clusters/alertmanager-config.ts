import { createHash } from 'node:crypto';
import { RE2JS } from 're2js';
import { isMap, isSeq, parseDocument, stringify } from 'yaml';
import { BadUserInputError, type FieldIssue } from '../../errors';
import { parseMatcher } from '../gateway/label-matcher';
import { LABEL_NAME, parseDuration } from '../../shared/prometheus-syntax';
import { checkGlobal, checkNotifier, isObject, NOTIFIERS } from './alertmanager-notifiers';

/** The receiver AlertAgent adds to every cluster's config: its own webhook. */
export const ALERTAGENT_RECEIVER = 'alertagent';

export interface ClusterConfigParts {
  clusterName: string;
  /** The user's alertmanager.yml base (YAML mapping), possibly empty. */
  configTemplate: string;
  /** YAML list of routes under the root route, tried before the template's own. */
  routes: string;
  /** YAML list of inhibit rules, added after the template's own. */
  inhibitRules: string;
  webhookUrl: string;
  webhookToken: string;
}

export interface RenderedConfig {
  content: string;
  /** sha256 of the content, hex: the ETag sidecars compare. */
  hash: string;
}

type Node = Record<string, unknown>;

const TOP_LEVEL_KEYS = new Set(['global', 'route', 'receivers', 'inhibit_rules', 'templates', 'time_intervals', 'mute_time_intervals']);
const ROUTE_KEYS = new Set([
  'receiver',
  'group_by',
  'continue',
  'match',
  'match_re',
  'matchers',
  'group_wait',
  'group_interval',
  'repeat_interval',
  'mute_time_intervals',
  'active_time_intervals',
  'routes',
]);
const INHIBIT_KEYS = new Set([
  'source_match',
  'source_match_re',
  'source_matchers',
  'target_match',
  'target_match_re',
  'target_matchers',
  'equal',
]);

/**
 * Builds a cluster's alertmanager.yml from the user's base and AlertAgent's parts, then judges it
 * by the rules Alertmanager applies when it loads a file, so a config that would be refused
 * never reaches a sidecar. Problems are reported all at once, each with where it is.
 */
export function renderAlertmanagerConfig(parts: ClusterConfigParts): RenderedConfig {
  const problems: FieldIssue[] = [];
  const template = parseYamlPart(parts.configTemplate, 'configTemplate', 'mapping', problems) ?? {};
  const routes = parseYamlPart(parts.routes, 'routes', 'list', problems) ?? [];
  const inhibitRules = parseYamlPart(parts.inhibitRules, 'inhibitRules', 'list', problems) ?? [];
  if (problems.length > 0) throw refusal(problems);

  const base = template as Node;
  const receivers = Array.isArray(base.receivers) ? (base.receivers as unknown[]) : [];
  if (receivers.some((r) => isObject(r) && r.name === ALERTAGENT_RECEIVER)) {
    problems.push({
      field: 'configTemplate.receivers',
      message: `the receiver name "${ALERTAGENT_RECEIVER}" is reserved for AlertAgent's own webhook`,
    });
  }
  const baseRoute = isObject(base.route) ? base.route : {};
  const baseChildren = Array.isArray(baseRoute.routes) ? baseRoute.routes : [];
  const document: Node = {
    ...base,
    route: { receiver: ALERTAGENT_RECEIVER, ...baseRoute, routes: [...(routes as unknown[]), ...baseChildren] },
    receivers: [
      ...receivers,
      {
        name: ALERTAGENT_RECEIVER,
        webhook_configs: [
          {
            url: parts.webhookUrl,
            send_resolved: true,
            http_config: { authorization: { type: 'Bearer', credentials: parts.webhookToken } },
          },
        ],
      },
    ],
  };
  const inhibit = [...(Array.isArray(base.inhibit_rules) ? base.inhibit_rules : []), ...(inhibitRules as unknown[])];
  if (inhibit.length > 0) document.inhibit_rules = inhibit;
  if ((document.route as Node).routes && ((document.route as Node).routes as unknown[]).length === 0)
    delete (document.route as Node).routes;

  problems.push(...validateAlertmanagerConfig(document));
  if (problems.length > 0) throw refusal(problems);
  const content = `# Rendered by AlertAgent for cluster ${parts.clusterName}. Edit it in AlertAgent: the sidecar replaces local changes.\n${stringify(document, { lineWidth: 0 })}`;
  return { content, hash: createHash('sha256').update(content).digest('hex') };
}

function refusal(problems: FieldIssue[]): BadUserInputError {
  const shown = problems.slice(0, 10).map((p) => `${p.field}: ${p.message}`);
  return new BadUserInputError(
    `the Alertmanager config would be refused: ${shown.join('; ')}${problems.length > 10 ? ` (and ${problems.length - 10} more)` : ''}`,
    problems,
  );
}

function parseYamlPart(text: string, field: string, shape: 'mapping' | 'list', problems: FieldIssue[]): unknown {
  if (text.trim() === '') return null;
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: true });
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    problems.push({ field, message: `not valid YAML at line ${err.linePos?.[0]?.line ?? '?'}: ${err.message.split('\n')[0]}` });
    return null;
  }
  const ok = shape === 'mapping' ? isMap(doc.contents) || doc.contents === null : isSeq(doc.contents) || doc.contents === null;
  if (!ok) {
    problems.push({ field, message: `expected a YAML ${shape}` });
    return null;
  }
  let value: unknown;
  try {
    value = doc.toJS();
  } catch (err) {
    // The yaml package refuses aliases that would expand without bound (an alias bomb).
    problems.push({ field, message: `not usable YAML: ${(err as Error).message}` });
    return null;
  }
  if (containsItself(value)) {
    problems.push({ field, message: 'not usable YAML: an alias refers to a node that contains it' });
    return null;
  }
  return value;
}

/** Whether an alias made a structure contain itself (`a: &x { b: *x }`): walking it would never end. */
function containsItself(value: unknown, path = new Set<unknown>()): boolean {
  if (typeof value !== 'object' || value === null) return false;
  if (path.has(value)) return true;
  path.add(value);
  const children = Array.isArray(value) ? value : Object.values(value);
  const found = children.some((child) => containsItself(child, path));
  path.delete(value);
  return found;
}

/** Judges a whole alertmanager.yml as `amtool check-config` would: the problems, none when it loads. */
export function checkAlertmanagerFile(text: string): FieldIssue[] {
  const problems: FieldIssue[] = [];
  const parsed = parseYamlPart(text, 'file', 'mapping', problems);
  if (problems.length > 0) return problems;
  return validateAlertmanagerConfig((parsed ?? {}) as Node);
}

/** Alertmanager's load-time checks (config.Load in Alertmanager 0.25) on a parsed config. */
export function validateAlertmanagerConfig(config: Node): FieldIssue[] {
  const problems: FieldIssue[] = [];
  const problem = (field: string, message: string) => problems.push({ field, message });
  for (const key of Object.keys(config)) if (!TOP_LEVEL_KEYS.has(key)) problem(key, `field ${key} is not an Alertmanager setting`);
  const global = checkGlobal(config.global, problem, parseDuration);

  const receiverNames = new Set<string>();
  const receivers = config.receivers ?? [];
  if (!Array.isArray(receivers)) problem('receivers', 'expected a list');
  else {
    receivers.forEach((receiver, i) => {
      const at = `receivers.${i}`;
      if (!isObject(receiver)) return problem(at, 'expected a mapping');
      if (typeof receiver.name !== 'string' || receiver.name === '') return problem(`${at}.name`, 'missing name in receiver');
      if (receiverNames.has(receiver.name)) problem(`${at}.name`, `notification config name "${receiver.name}" is not unique`);
      receiverNames.add(receiver.name);
      for (const [key, value] of Object.entries(receiver)) {
        if (key === 'name') continue;
        if (!(key in NOTIFIERS)) problem(`${at}.${key}`, `field ${key} is not a receiver setting`);
        else if (value !== null && !Array.isArray(value)) problem(`${at}.${key}`, 'expected a list');
        else (value ?? []).forEach((entry: unknown, j: number) => checkNotifier(key, entry, `${at}.${key}.${j}`, global, problem));
      }
    });
  }

  const intervalNames = new Set<string>();
  for (const key of ['time_intervals', 'mute_time_intervals'] as const) {
    const list = config[key] ?? [];
    if (!Array.isArray(list)) problem(key, 'expected a list');
    else
      list.forEach((entry, i) =>
        isObject(entry) && typeof entry.name === 'string' && entry.name
          ? intervalNames.add(entry.name)
          : problem(`${key}.${i}.name`, 'missing name in time interval'),
      );
  }

  if (config.templates !== undefined && (!Array.isArray(config.templates) || config.templates.some((t) => typeof t !== 'string')))
    problem('templates', 'expected a list of file patterns');

  const route = config.route;
  if (route === undefined || route === null) problem('route', 'no route provided in config');
  else if (!isObject(route)) problem('route', 'expected a mapping');
  else {
    if (typeof route.receiver !== 'string' || route.receiver === '')
      problem('route.receiver', 'root route must specify a default receiver');
    if (route.match !== undefined || route.match_re !== undefined || route.matchers !== undefined)
      problem('route', 'root route must not have any matchers');
    if (route.continue === true) problem('route.continue', 'cannot have continue in root route');
    if (route.mute_time_intervals !== undefined) problem('route.mute_time_intervals', 'root route must not have any mute time intervals');
    if (route.active_time_intervals !== undefined)
      problem('route.active_time_intervals', 'root route must not have any active time intervals');
    checkRoute(route, 'route', { receiverNames, intervalNames }, problem);
  }

  const inhibitRules = config.inhibit_rules ?? [];
  if (!Array.isArray(inhibitRules)) problem('inhibit_rules', 'expected a list');
  else inhibitRules.forEach((rule, i) => checkInhibitRule(rule, `inhibit_rules.${i}`, problem));
  return problems;
}

type Problem = (field: string, message: string) => void;

function checkRoute(route: Node, at: string, known: { receiverNames: Set<string>; intervalNames: Set<string> }, problem: Problem): void {
  for (const key of Object.keys(route)) if (!ROUTE_KEYS.has(key)) problem(`${at}.${key}`, `field ${key} is not a route setting`);
  // `receiver:` left empty (null) inherits the parent's, as no receiver does.
  if (
    route.receiver !== undefined &&
    route.receiver !== null &&
    (typeof route.receiver !== 'string' || !known.receiverNames.has(route.receiver))
  ) {
    problem(`${at}.receiver`, `undefined receiver "${String(route.receiver)}" used in route`);
  }
  if (route.continue !== undefined && typeof route.continue !== 'boolean') problem(`${at}.continue`, 'expected true or false');
  if (route.group_by !== undefined) {
    if (!Array.isArray(route.group_by)) problem(`${at}.group_by`, 'expected a list of label names');
    else {
      const seen = new Set<string>();
      for (const label of route.group_by.map(String)) {
        if (label === '...') continue;
        if (seen.has(label)) problem(`${at}.group_by`, `duplicated label "${label}" in group_by`);
        else if (!LABEL_NAME.test(label)) problem(`${at}.group_by`, `invalid label name "${label}" in group_by list`);
        seen.add(label);
      }
      if (route.group_by.includes('...') && route.group_by.length > 1)
        problem(`${at}.group_by`, 'cannot have wildcard group_by (`...`) and other labels at the same time');
    }
  }
  for (const key of ['group_wait', 'group_interval', 'repeat_interval'] as const) {
    const value = route[key];
    if (value === undefined) continue;
    const ms = typeof value === 'string' ? parseDuration(value) : null;
    if (ms === null) problem(`${at}.${key}`, `not a valid duration string: "${String(value)}"`);
    else if (ms === 0 && key !== 'group_wait') problem(`${at}.${key}`, `${key} cannot be zero`);
  }
  checkMatchers(route, '', at, problem);
  for (const key of ['mute_time_intervals', 'active_time_intervals'] as const) {
    const names = route[key];
    if (names === undefined) continue;
    if (!Array.isArray(names)) problem(`${at}.${key}`, 'expected a list of time interval names');
    else
      for (const name of names)
        if (!known.intervalNames.has(String(name))) problem(`${at}.${key}`, `undefined time interval "${String(name)}" used in route`);
  }
  if (route.routes !== undefined) {
    if (!Array.isArray(route.routes)) problem(`${at}.routes`, 'expected a list of routes');
    else
      route.routes.forEach((child, i) =>
        isObject(child) ? checkRoute(child, `${at}.routes.${i}`, known, problem) : problem(`${at}.routes.${i}`, 'expected a mapping'),
      );
  }
}

/** `match`, `match_re` and `matchers` (with a prefix for inhibit rules' source_/target_). */
function checkMatchers(node: Node, prefix: string, at: string, problem: Problem): void {
  const match = node[`${prefix}match`];
  if (match !== undefined) {
    if (!isObject(match)) problem(`${at}.${prefix}match`, 'expected a mapping of label to value');
    else for (const name of Object.keys(match)) if (!LABEL_NAME.test(name)) problem(`${at}.${prefix}match`, `invalid label name "${name}"`);
  }
  const matchRe = node[`${prefix}match_re`];
  if (matchRe !== undefined) {
    if (!isObject(matchRe)) problem(`${at}.${prefix}match_re`, 'expected a mapping of label to regular expression');
    else {
      for (const [name, pattern] of Object.entries(matchRe)) {
        if (!LABEL_NAME.test(name)) problem(`${at}.${prefix}match_re`, `invalid label name "${name}"`);
        // An empty value is not an empty regex to Alertmanager 0.25: it refuses the file.
        if (pattern === null || pattern === undefined) {
          problem(`${at}.${prefix}match_re.${name}`, `invalid regexp value for "${name}"`);
          continue;
        }
        const error = regexError(String(pattern));
        if (error) problem(`${at}.${prefix}match_re.${name}`, `error parsing regexp: ${error}`);
      }
    }
  }
  const matchers = node[`${prefix}matchers`];
  if (matchers === undefined) return;
  if (!Array.isArray(matchers)) return problem(`${at}.${prefix}matchers`, 'expected a list of matchers');
  matchers.forEach((text, i) => {
    const field = `${at}.${prefix}matchers.${i}`;
    try {
      const matcher = parseMatcher(String(text), field);
      if (matcher.operator === '=~' || matcher.operator === '!~') {
        const error = regexError(matcher.value);
        if (error) problem(field, `error parsing regexp: ${error}`);
      }
    } catch (err) {
      problem(field, (err as BadUserInputError).message);
    }
  });
}

function checkInhibitRule(rule: unknown, at: string, problem: Problem): void {
  if (!isObject(rule)) return problem(at, 'expected a mapping');
  for (const key of Object.keys(rule)) if (!INHIBIT_KEYS.has(key)) problem(`${at}.${key}`, `field ${key} is not an inhibit rule setting`);
  checkMatchers(rule, 'source_', at, problem);
  checkMatchers(rule, 'target_', at, problem);
  if (rule.equal !== undefined) {
    if (!Array.isArray(rule.equal)) problem(`${at}.equal`, 'expected a list of label names');
    else
      for (const label of rule.equal) if (!LABEL_NAME.test(String(label))) problem(`${at}.equal`, `invalid label name "${String(label)}"`);
  }
}

function regexError(pattern: string): string | null {
  try {
    RE2JS.compile(`^(?:${pattern})$`);
    return null;
  } catch (err) {
    return (err as Error).message;
  }
}
