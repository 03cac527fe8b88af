import { compileMatcher, matchesAll, type CompiledMatcher, type LabelMatcher } from './label-matcher';
import type { FollowUpRule } from '../../domain/routing';

export type { FollowUpRule } from '../../domain/routing';

/** A route as stored, in the plain shape that also crosses into a sandbox thread. */
export interface RouteSpec {
  id: string;
  name: string;
  matchers: LabelMatcher[];
  channelIds: string[];
  continueMatching: boolean;
  perAlert: boolean;
  /** Analyse what this route delivers with this provider (when the analysis.enabled flag is on). */
  analysisProviderId: string | null;
  /** Its window (flag gateway.advanced-convergence), null when it has none. */
  window: RouteWindowSettings | null;
  /** Smart routing (flag routing.smart): who else to tell once the analysis names a team or category. */
  followUps: FollowUpRule[];
}

/** Like Alertmanager's group_wait, group_interval and repeat_interval, per route and channel across clusters. */
export interface RouteWindowSettings {
  waitSeconds: number;
  intervalSeconds: number;
  repeatSeconds: number;
}

/** The ordered routes and the default; `version` changes whenever any of it does. */
export interface RouteTableSpec {
  version: string;
  routes: RouteSpec[];
  fallback: RouteSpec | null;
}

export interface CompiledRoute extends Omit<RouteSpec, 'matchers'> {
  matchers: CompiledMatcher[];
}

export interface RoutingTable {
  version: string;
  routes: CompiledRoute[];
  fallback: CompiledRoute | null;
}

/** Where one alert goes: the routes it matched (or the default) and the union of their channels. */
export interface RouteDecision {
  routes: CompiledRoute[];
  channelIds: string[];
}

export function compileTable(spec: RouteTableSpec): RoutingTable {
  const compile = (route: RouteSpec): CompiledRoute => ({ ...route, matchers: route.matchers.map((m) => compileMatcher(m)) });
  return { version: spec.version, routes: spec.routes.map(compile), fallback: spec.fallback ? compile(spec.fallback) : null };
}

/** The routes an alert takes, in order: matching routes until one does not continue; else the default. */
export function decideRoutes(table: RoutingTable, labels: Record<string, string>): RouteDecision {
  const matched: CompiledRoute[] = [];
  for (const route of table.routes) {
    if (!matchesAll(route.matchers, labels)) continue;
    matched.push(route);
    if (!route.continueMatching) break;
  }
  const routes = matched.length > 0 ? matched : table.fallback ? [table.fallback] : [];
  return { routes, channelIds: [...new Set(routes.flatMap((r) => r.channelIds))] };
}

/** Which routes each alert takes, as indexes into the table (`-1` is the default): what a sandbox thread answers. */
export function decideRouteIndexes(table: RoutingTable, labelSets: Array<Record<string, string>>): number[][] {
  return labelSets.map((labels) =>
    decideRoutes(table, labels).routes.map((route) => (route === table.fallback ? -1 : table.routes.indexOf(route))),
  );
}

/** An upper bound of the regex steps routing these label sets may take (every regex matcher, on its whole label value). */
export function routingCost(table: RoutingTable, labelSets: Array<Record<string, string>>): number {
  const regexes = [...table.routes, ...(table.fallback ? [table.fallback] : [])].flatMap((r) =>
    r.matchers.filter((m) => m.costPerChar > 0),
  );
  if (regexes.length === 0) return 0;
  let cost = 0;
  for (const labels of labelSets) for (const m of regexes) cost += m.costPerChar * ((labels[m.name]?.length ?? 0) + 1);
  return cost;
}
