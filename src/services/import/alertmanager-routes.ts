import { formatMatcher } from '../gateway/route.service';
import { parseMatcher } from '../gateway/label-matcher';
import { parseDuration } from '../../shared/prometheus-syntax';
import { isObject } from '../clusters/alertmanager-notifiers';

type Node = Record<string, unknown>;

/** One line of an import report: what an Alertmanager item became. */
export interface ImportReportItem {
  /** Where it is in alertmanager.yml, e.g. `route.routes.2.routes.0` or `receivers.3.slack_configs.0`. */
  source: string;
  status: 'mapped' | 'mapped with changes' | 'not mapped';
  /** What it became, or why it changed or could not be mapped. */
  detail: string;
}

/** An AlertAgent route made from one node of the route tree. */
export interface ImportedRoute {
  name: string;
  /** The Alertmanager receiver it sends to (its channels are that receiver's); empty for a route that only stops. */
  receiver: string;
  matchers: string[];
  continueMatching: boolean;
  isDefault: boolean;
  groupWaitSeconds: number | null;
  groupIntervalSeconds: number | null;
  repeatIntervalSeconds: number | null;
  /** The tree node it comes from. */
  source: string;
}

interface Inherited {
  receiver: string;
  matchers: string[];
  timing: { group_wait?: string; group_interval?: string; repeat_interval?: string };
}

/**
 * Alertmanager matchers (`match`, `match_re`, `matchers`; with `prefix` `source_` or `target_` for
 * an inhibit rule's sides) in AlertAgent's syntax.
 */
export function alertmanagerMatchers(node: Node, prefix = ''): string[] {
  const out: string[] = [];
  const match = node[`${prefix}match`];
  const matchRe = node[`${prefix}match_re`];
  const matchers = node[`${prefix}matchers`];
  if (isObject(match)) for (const [name, value] of Object.entries(match)) out.push(`${name}=${JSON.stringify(String(value ?? ''))}`);
  if (isObject(matchRe)) for (const [name, value] of Object.entries(matchRe)) out.push(`${name}=~${JSON.stringify(String(value ?? ''))}`);
  if (Array.isArray(matchers)) for (const text of matchers) out.push(formatMatcher(parseMatcher(String(text))));
  return out;
}

const seconds = (text: string | undefined) => {
  const ms = text === undefined ? null : parseDuration(text);
  return ms === null ? null : Math.round(ms / 1000);
};

/** A name of at most 100 characters not in `taken` (then added to it): names alike that far get a number. */
export function uniqueName(wanted: string, taken: Set<string>): string {
  const base = wanted.slice(0, 100);
  let name = base;
  for (let n = 2; taken.has(name); n += 1) name = `${base.slice(0, 95)} #${n}`;
  taken.add(name);
  return name;
}

/** The matcher that takes exactly the alerts `matcher` does not (a missing label reads as empty in both). */
function negate(matcher: string): string {
  const m = parseMatcher(matcher);
  const opposite = { '=': '!=', '!=': '=', '=~': '!~', '!~': '=~' } as const;
  return formatMatcher({ ...m, operator: opposite[m.operator] });
}

/**
 * Alertmanager's route tree as AlertAgent's ordered routes with the same routing: each node's
 * children come before the node itself (the node catches what none of them takes), matchers are
 * the node's and its ancestors', receivers and timing are inherited, and the root becomes the
 * default route (used exactly when no other route matches, as Alertmanager falls back to the
 * root). A nested route that continues is kept out of its parent's own route by its negated
 * matcher. Flat routes cannot keep exactly a parent that continues itself, or a continuing nested
 * route with several matchers or routes of its own; such nodes are imported, and reported as
 * mapped with changes.
 */
export function translateRouteTree(root: Node, prefix = ''): { routes: ImportedRoute[]; report: ImportReportItem[] } {
  const routes: ImportedRoute[] = [];
  const report: ImportReportItem[] = [];
  const names = new Set<string>();
  const nameFor = (receiver: string, source: string) => {
    const where = source === 'route' ? 'root' : `route ${source.slice('route.'.length).replace(/routes\./g, '')}`;
    return uniqueName(`${prefix}${receiver} (${where})`, names);
  };
  const timingOf = (inherited: Inherited['timing'], changes: string[]) => {
    const wait = seconds(inherited.group_wait);
    const interval = seconds(inherited.group_interval);
    const repeat = seconds(inherited.repeat_interval);
    if (wait === null && interval === null && repeat === null)
      return { groupWaitSeconds: null, groupIntervalSeconds: null, repeatIntervalSeconds: null };
    const clamp = (value: number | null, low: number, high: number, what: string) => {
      if (value === null) return null;
      const kept = Math.min(high, Math.max(low, value));
      if (kept !== value) changes.push(`${what} ${value} s taken as ${kept} s (AlertAgent's range is ${low}–${high} s)`);
      return kept;
    };
    const groupIntervalSeconds = clamp(interval, 1, 86_400, 'group_interval');
    let repeatIntervalSeconds = clamp(repeat, 60, 7 * 86_400, 'repeat_interval');
    if (repeatIntervalSeconds !== null && groupIntervalSeconds !== null && repeatIntervalSeconds < groupIntervalSeconds) {
      changes.push(`repeat_interval raised to the group interval (${groupIntervalSeconds} s)`);
      repeatIntervalSeconds = groupIntervalSeconds;
    }
    return { groupWaitSeconds: clamp(wait, 0, 3_600, 'group_wait'), groupIntervalSeconds, repeatIntervalSeconds };
  };

  /** `parentFlat`: whether first-match routing over the flat list equals the tree's above this node. */
  const visit = (node: Node, source: string, inherited: Inherited, parentFlat: boolean, isRoot: boolean): void => {
    const receiver = typeof node.receiver === 'string' && node.receiver !== '' ? node.receiver : inherited.receiver;
    const matchers = [...inherited.matchers, ...alertmanagerMatchers(node)];
    const timing = {
      group_wait: typeof node.group_wait === 'string' ? node.group_wait : inherited.timing.group_wait,
      group_interval: typeof node.group_interval === 'string' ? node.group_interval : inherited.timing.group_interval,
      repeat_interval: typeof node.repeat_interval === 'string' ? node.repeat_interval : inherited.timing.repeat_interval,
    };
    const children = Array.isArray(node.routes) ? node.routes.filter(isObject) : [];
    const continues = node.continue === true;
    // A node's own route must not take an alert one of its children took. Children that stop
    // there are before it; one that continues is kept out by its negated matcher (it has one
    // matcher and no children of its own), or, when it has no matcher at all, the node's own
    // route can never apply. Anything else (several matchers, nested routes, the node itself
    // continuing) flat routes cannot express exactly.
    const negations: string[] = [];
    let selfNeverApplies = false;
    let expressible = isRoot || !continues || children.length === 0;
    if (!isRoot) {
      for (const child of children) {
        if (child.continue !== true) continue;
        const own = alertmanagerMatchers(child);
        const nested = Array.isArray(child.routes) && child.routes.length > 0;
        if (nested || own.length > 1) expressible = false;
        else if (own.length === 0) selfNeverApplies = true;
        else negations.push(negate(own[0]));
      }
    }
    const flat = parentFlat && expressible;
    children.forEach((child, i) => visit(child, `${source}.routes.${i}`, { receiver, matchers, timing }, flat, false));
    // After a nested route that continues, processing would run on into this node's siblings; a
    // route without channels that stops keeps it inside, as Alertmanager does.
    const stopper = (): ImportedRoute => ({
      name: nameFor('stop', source),
      receiver: '',
      matchers,
      continueMatching: false,
      isDefault: false,
      groupWaitSeconds: null,
      groupIntervalSeconds: null,
      repeatIntervalSeconds: null,
      source: `${source} (stop)`,
    });
    if (selfNeverApplies && flat) {
      routes.push(stopper());
      report.push({
        source,
        status: 'mapped',
        detail: `no route of its own (a nested route that continues without matchers takes every alert it would); "${routes[routes.length - 1].name}" stops there without channels`,
      });
      return;
    }
    const changes: string[] = [];
    if (!flat && parentFlat) {
      changes.push(
        'it continues with nested routes of its own, or a nested route continues with several matchers or routes of its own: AlertAgent routes are flat, so this route also takes alerts one of its nested routes took',
      );
    }
    if (Array.isArray(node.group_by) && node.group_by.length > 0)
      changes.push(`group_by [${node.group_by.join(', ')}] not carried: AlertAgent windows gather per route and channel`);
    for (const key of ['mute_time_intervals', 'active_time_intervals'])
      if (Array.isArray(node[key]) && (node[key] as unknown[]).length > 0)
        changes.push(`${key} are imported as maintenance windows, not tied to this route`);
    const window = timingOf(timing, changes);
    const route: ImportedRoute = {
      name: nameFor(receiver, source),
      receiver,
      matchers: isRoot ? [] : [...matchers, ...negations],
      continueMatching: !isRoot && continues,
      isDefault: isRoot,
      ...window,
      source,
    };
    routes.push(route);
    const stops = !isRoot && flat && negations.length > 0;
    if (stops) routes.push(stopper());
    if (stops)
      changes.push(`followed by "${routes[routes.length - 1].name}", a route without channels that stops where Alertmanager stops`);
    report.push({
      source,
      status: changes.length > 0 ? 'mapped with changes' : 'mapped',
      detail: `route "${route.name}"${isRoot ? ' (the default route)' : ''} → receiver ${receiver}${route.matchers.length ? ` when ${route.matchers.join(', ')}` : ''}${changes.length ? `; ${changes.join('; ')}` : ''}`,
    });
  };
  visit(root, 'route', { receiver: '', matchers: [], timing: {} }, true, true);
  return { routes, report };
}
