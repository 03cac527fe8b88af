import type { AuditAction } from '../security/audit-actions';
import { overStored } from '../shared/partial-update';
import { createHash } from 'node:crypto';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import type { RouteRepository } from './route.repository';
import { BadUserInputError, ConflictError, NotFoundError, parseInput } from '../../errors';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import type { SandboxPool } from '../sandbox/sandbox-pool';
import { ReloadOnChange } from '../shared/reload-on-change';
import { parseMatchers, storedMatcher, type LabelMatcher } from './label-matcher';
import {
  compileTable,
  decideRoutes,
  routingCost,
  type FollowUpRule,
  type RouteDecision,
  type RouteSpec,
  type RouteWindowSettings,
  type RoutingTable,
  type RouteTableSpec,
} from './route-table';

export type { CompiledRoute, RouteDecision } from './route-table';

const routeInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty', abort: true }).max(100),
  matchers: z.array(z.string()).max(50).default([]),
  channelIds: z.array(z.uuid('expected a channel id')).max(100).default([]),
  continueMatching: z.boolean().default(false),
  perAlert: z.boolean().default(false),
  isDefault: z.boolean().default(false),
  enabled: z.boolean().default(true),
  position: z.number().int().min(0).optional(),
  analysisProviderId: z.uuid('expected an analysis provider id').nullish(),
  groupWaitSeconds: z.number().int().min(0, 'must not be negative').max(3_600, 'must be at most 3600').nullish(),
  groupIntervalSeconds: z.number().int().min(1, 'must be at least 1').max(86_400, 'must be at most 86400').nullish(),
  repeatIntervalSeconds: z
    .number()
    .int()
    .min(60, 'must be at least 60')
    .max(7 * 86_400, 'must be at most 604800 (7 days)')
    .nullish(),
  followUps: z
    .array(
      z
        .strictObject({
          team: z.string().trim().min(1).max(100).nullish(),
          category: z.string().trim().min(1).max(64).nullish(),
          minConfidence: z.number().min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1').default(0.7),
          channelIds: z.array(z.uuid('expected a channel id')).min(1, 'name at least one channel').max(20),
        })
        .refine((rule) => Boolean(rule.team || rule.category), {
          message: 'a follow-up needs a team or a category to match the analysis on',
        }),
    )
    .max(20)
    .default([]),
});

/** A route window's values when only some are given: the first notice at once, Alertmanager's interval and repeat. */
export const ROUTE_WINDOW_DEFAULTS: RouteWindowSettings = { waitSeconds: 0, intervalSeconds: 300, repeatSeconds: 4 * 3600 };

export type RouteInput = z.input<typeof routeInput>;
type ParsedRoute = z.output<typeof routeInput>;

/**
 * Validates a route as given, naming fields under `path`: the one check for saved routes and for
 * routes proposed to a replay (whether its channels exist is asked of the database apart).
 */
export function checkRoute(
  input: RouteInput,
  path = 'input',
): { parsed: ParsedRoute; matchers: LabelMatcher[]; window: RouteWindowSettings | null } {
  const parsed = parseInput(routeInput, input, path);
  const window = windowOf(parsed);
  if (window && window.repeatSeconds < window.intervalSeconds) {
    throw BadUserInputError.forField(
      `${path}.repeatIntervalSeconds`,
      `must be at least the group interval (${window.intervalSeconds} s): repeats are told at group interval ticks`,
    );
  }
  return { parsed, matchers: parseMatchers(parsed.matchers, `${path}.matchers`).map(storedMatcher), window };
}

/** A route's window from its stored or given values; null when it sets none of them. */
export function windowOf(route: {
  groupWaitSeconds?: number | null;
  groupIntervalSeconds?: number | null;
  repeatIntervalSeconds?: number | null;
}): RouteWindowSettings | null {
  const { groupWaitSeconds: wait, groupIntervalSeconds: interval, repeatIntervalSeconds: repeat } = route;
  if (wait == null && interval == null && repeat == null) return null;
  return {
    waitSeconds: wait ?? ROUTE_WINDOW_DEFAULTS.waitSeconds,
    intervalSeconds: interval ?? ROUTE_WINDOW_DEFAULTS.intervalSeconds,
    repeatSeconds: repeat ?? ROUTE_WINDOW_DEFAULTS.repeatSeconds,
  };
}

/** A route in the shape routing tables are built of. */
export function routeSpecOf(
  id: string,
  route: Pick<ParsedRoute, 'name' | 'channelIds' | 'continueMatching' | 'perAlert'> & {
    analysisProviderId?: string | null;
    followUps?: ParsedRoute['followUps'];
  },
  matchers: LabelMatcher[],
  window: RouteWindowSettings | null,
): RouteSpec {
  return {
    id,
    name: route.name,
    matchers,
    channelIds: route.channelIds,
    continueMatching: route.continueMatching,
    perAlert: route.perAlert,
    analysisProviderId: route.analysisProviderId ?? null,
    window,
    followUps: followUpsOf(route.followUps ?? []),
  };
}

/** A stored route in the shape of its input: what an update's omitted fields keep. */
export function routeInputOf(route: GatewayRouteEntity): Required<RouteInput> {
  return {
    name: route.name,
    matchers: route.matchers.map(formatMatcher),
    channelIds: route.channelIds,
    continueMatching: route.continueMatching,
    perAlert: route.perAlert,
    isDefault: route.isDefault,
    enabled: route.enabled,
    position: route.position,
    analysisProviderId: route.analysisProviderId ?? null,
    followUps: route.followUps.map((rule) => ({
      team: rule.team,
      category: rule.category,
      minConfidence: rule.minConfidence,
      channelIds: rule.channelIds,
    })),
    groupWaitSeconds: route.groupWaitSeconds ?? null,
    groupIntervalSeconds: route.groupIntervalSeconds ?? null,
    repeatIntervalSeconds: route.repeatIntervalSeconds ?? null,
  };
}

/** Follow-up rules as stored: team and category compared without case. */
export function followUpsOf(rules: ParsedRoute['followUps']): FollowUpRule[] {
  return rules.map((r) => ({
    team: r.team?.toLowerCase() ?? null,
    category: r.category?.toLowerCase() ?? null,
    minConfidence: r.minConfidence,
    channelIds: r.channelIds,
  }));
}

/** Routing this many regex steps (an upper bound, see routingCost) or fewer runs in place: a few milliseconds at most. */
const INLINE_ROUTING_BUDGET = 2_000_000;

/** A receipt's routing: one decision per alert, and why some went to the default when routing did not finish. */
export interface RoutingOutcome {
  decisions: RouteDecision[];
  /** Set when the routes could not be evaluated in time and every alert took the default route instead. */
  fallbackReason: string | null;
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.operator}${JSON.stringify(m.value)}`;
}

/** A routing table of ordered routes and a default, versioned by its content. */
export function tableSpec(routes: RouteSpec[], fallback: RouteSpec | null): RouteTableSpec {
  return {
    version: createHash('sha256')
      .update(JSON.stringify([routes, fallback]))
      .digest('hex'),
    routes,
    fallback,
  };
}

export interface RouteServiceDeps {
  repository: RouteRepository;
  audit: AuditService;
  events: EventBus;
  logger: Logger;
  sandbox: SandboxPool;
  sandboxTimeoutMs: number;
}

/**
 * Static routes (phase 1): ordered, Alertmanager-style matchers, `continue`, and a default.
 * The compiled table lives in memory and is rebuilt on any change, on every replica, so a
 * change applies at run time without a restart.
 */
export class RouteService {
  private spec: RouteTableSpec = { version: 'empty', routes: [], fallback: null };
  private table: RoutingTable = compileTable(this.spec);
  private readonly changes: ReloadOnChange;

  constructor(private readonly deps: RouteServiceDeps) {
    this.changes = new ReloadOnChange(deps.events, 'routes.changed', () => this.reload(), deps.logger);
  }

  /** Loads the table and follows changes made anywhere. */
  start(): Promise<void> {
    return this.changes.start();
  }

  stop(): Promise<void> {
    return this.changes.stop();
  }

  /**
   * Routes a receipt's alerts. Cheap routing (nearly always) runs in place; when the routes'
   * regexes on these labels could cost more than a few milliseconds, it runs in a sandbox thread
   * under a time limit, and past the limit every alert takes the default route, so a costly regex
   * can neither stall the event loop nor lose an alert.
   */
  async decideAll(labelSets: Array<Record<string, string>>): Promise<RoutingOutcome> {
    const table = this.table;
    if (routingCost(table, labelSets) <= INLINE_ROUTING_BUDGET)
      return { decisions: labelSets.map((labels) => decideRoutes(table, labels)), fallbackReason: null };
    const result = await this.deps.sandbox.run('routeAlerts', { table: this.spec, labelSets }, this.deps.sandboxTimeoutMs);
    if (result.ok) {
      const routeAt = (index: number) => (index < 0 ? table.fallback! : table.routes[index]);
      return {
        decisions: result.value.map((indexes) => {
          const routes = indexes.map(routeAt);
          return { routes, channelIds: [...new Set(routes.flatMap((r) => r.channelIds))] };
        }),
        fallbackReason: null,
      };
    }
    // A full sandbox is a busy moment, not a costly table: route here rather than not at all.
    if (result.reason === 'busy') return { decisions: labelSets.map((labels) => decideRoutes(table, labels)), fallbackReason: null };
    const fallbackReason = `routing ${labelSets.length} alert(s) ${result.message}: the route regexes are too costly for these labels; sent by the default route`;
    this.deps.logger.warn(
      { alerts: labelSets.length, reason: result.message },
      'routing did not finish in time; alerts take the default route',
    );
    const routes = table.fallback ? [table.fallback] : [];
    return { decisions: labelSets.map(() => ({ routes, channelIds: [...new Set(routes.flatMap((r) => r.channelIds))] })), fallbackReason };
  }

  /** The routing table in force now. */
  current(): RoutingTable {
    return this.table;
  }

  list(): Promise<GatewayRouteEntity[]> {
    return this.deps.repository.inOrder();
  }

  async create(input: RouteInput, actor: Actor): Promise<GatewayRouteEntity> {
    const checked = checkRoute(input);
    const route = new GatewayRouteEntity();
    await this.save(route, checked, actor, 'route.created');
    return route;
  }

  /** Changes what `input` names; every field it leaves out keeps its value. */
  async update(id: string, input: Partial<RouteInput>, actor: Actor): Promise<GatewayRouteEntity> {
    const route = NotFoundError.assert(await this.deps.repository.findById(id), 'route', id);
    const checked = checkRoute(overStored(routeInputOf(route), input));
    route.updatedAt = new Date();
    await this.save(route, checked, actor, 'route.updated');
    return route;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const route = NotFoundError.assert(await this.deps.repository.findById(id), 'route', id);
    await this.deps.audit.change(actor, async (record) => {
      this.deps.repository.remove(route);
      record('route.deleted', 'route', id, { name: route.name });
    });
    await this.changes.announce();
  }

  private async save(
    route: GatewayRouteEntity,
    { parsed: input, matchers, window }: ReturnType<typeof checkRoute>,
    actor: Actor,
    action: AuditAction,
  ): Promise<void> {
    await this.deps.repository.assertChannelsExist([
      { field: 'input.channelIds', ids: input.channelIds },
      ...input.followUps.map((rule, index) => ({ field: `input.followUps.${index}.channelIds`, ids: rule.channelIds })),
    ]);
    if (input.followUps.length > 0 && !input.analysisProviderId)
      throw BadUserInputError.forField('input.followUps', 'follow-ups act on analyses: set analysisProviderId too');
    if (input.analysisProviderId && !(await this.deps.repository.providerExists(input.analysisProviderId))) {
      throw BadUserInputError.forField('input.analysisProviderId', `unknown analysis provider ${input.analysisProviderId}`);
    }
    if (input.isDefault) {
      const other = await this.deps.repository.otherDefault(route.id);
      if (other) throw new ConflictError(`route "${other.name}" is already the default route`);
    }
    const position = input.position ?? route.position ?? (await this.deps.repository.count());
    Object.assign(route, {
      name: input.name,
      matchers,
      channelIds: input.channelIds,
      continueMatching: input.continueMatching,
      perAlert: input.perAlert,
      isDefault: input.isDefault,
      enabled: input.enabled,
      position,
      analysisProviderId: input.analysisProviderId ?? null,
      followUps: followUpsOf(input.followUps),
      groupWaitSeconds: window?.waitSeconds ?? null,
      groupIntervalSeconds: window?.intervalSeconds ?? null,
      repeatIntervalSeconds: window?.repeatSeconds ?? null,
    });
    try {
      await this.deps.audit.change(actor, async (record) => {
        this.deps.repository.save(route);
        record(action, 'route', route.id, { name: route.name, matchers: matchers.map(formatMatcher), channels: input.channelIds.length });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new ConflictError(`a route named "${input.name}" already exists`);
      throw err;
    }
    await this.changes.announce();
  }

  private async reload(): Promise<void> {
    const rows = await this.list();
    const specOf = (r: GatewayRouteEntity): RouteSpec => ({ ...routeSpecOf(r.id, r, r.matchers, windowOf(r)), followUps: r.followUps });
    const enabled = rows.filter((r) => r.enabled);
    const routes = enabled.filter((r) => !r.isDefault).map(specOf);
    const fallback = enabled.filter((r) => r.isDefault).map(specOf)[0] ?? null;
    const spec = tableSpec(routes, fallback);
    this.table = compileTable(spec);
    this.spec = spec;
  }
}
