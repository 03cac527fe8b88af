import type { EntityManager } from '@mikro-orm/core';
import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { z } from 'zod';
import { ChannelEntity } from '../../entities/channels/channel.entity';
import { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import { BadUserInputError, ConflictError, NotFoundError, parseInput } from '../../errors';
import type { Logger } from '../observability/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import { compileMatcher, matchesAll, parseMatcher, type CompiledMatcher, type LabelMatcher } from './label-matcher';

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
});

export type RouteInput = z.input<typeof routeInput>;

export interface CompiledRoute {
  id: string;
  name: string;
  matchers: CompiledMatcher[];
  channelIds: string[];
  continueMatching: boolean;
  perAlert: boolean;
  /** Analyse what this route delivers with this provider (when the analysis.enabled flag is on). */
  analysisProviderId: string | null;
}

export interface RoutingTable {
  routes: CompiledRoute[];
  fallback: CompiledRoute | null;
}

/** Where one alert goes: the routes it matched (or the default) and the union of their channels. */
export interface RouteDecision {
  routes: CompiledRoute[];
  channelIds: string[];
}

export function formatMatcher(m: LabelMatcher): string {
  return `${m.name}${m.operator}${JSON.stringify(m.value)}`;
}

/**
 * Static routes (phase 1): ordered, Alertmanager-style matchers, `continue`, and a default.
 * The compiled table lives in memory and is rebuilt on any change, on every replica, so a
 * change applies at run time without a restart.
 */
export class RouteService {
  private table: RoutingTable = { routes: [], fallback: null };
  private watching: AsyncIterableIterator<unknown> | null = null;

  constructor(
    private readonly em: EntityManager,
    private readonly audit: AuditService,
    private readonly events: EventBus,
    private readonly logger: Logger,
  ) {}

  /** Loads the table and follows changes made anywhere. */
  async start(): Promise<void> {
    await this.reload();
    const changes = this.events.subscribe('routes.changed');
    this.watching = changes;
    void (async () => {
      for await (const _ of changes) await this.reload().catch((err) => this.logger.error({ err }, 'could not reload routes'));
    })();
  }

  async stop(): Promise<void> {
    await this.watching?.return?.();
  }

  decide(labels: Record<string, string>): RouteDecision {
    const matched: CompiledRoute[] = [];
    for (const route of this.table.routes) {
      if (!matchesAll(route.matchers, labels)) continue;
      matched.push(route);
      if (!route.continueMatching) break;
    }
    const routes = matched.length > 0 ? matched : this.table.fallback ? [this.table.fallback] : [];
    return { routes, channelIds: [...new Set(routes.flatMap((r) => r.channelIds))] };
  }

  list(): Promise<GatewayRouteEntity[]> {
    return this.em.fork().find(GatewayRouteEntity, {}, { orderBy: { position: 'asc', createdAt: 'asc' } });
  }

  async create(input: RouteInput, actor: Actor): Promise<GatewayRouteEntity> {
    const parsed = parseInput(routeInput, input, 'input');
    const route = new GatewayRouteEntity();
    await this.save(route, parsed, actor, 'route.created');
    return route;
  }

  async update(id: string, input: RouteInput, actor: Actor): Promise<GatewayRouteEntity> {
    const parsed = parseInput(routeInput, input, 'input');
    const route = NotFoundError.assert(await this.em.findOne(GatewayRouteEntity, { id }), 'route', id);
    route.updatedAt = new Date();
    await this.save(route, parsed, actor, 'route.updated');
    return route;
  }

  async remove(id: string, actor: Actor): Promise<void> {
    const route = NotFoundError.assert(await this.em.findOne(GatewayRouteEntity, { id }), 'route', id);
    await this.audit.change(actor, async (record) => {
      this.em.remove(route);
      record('route.deleted', 'route', id, { name: route.name });
    });
    await this.announce();
  }

  private async save(route: GatewayRouteEntity, input: z.output<typeof routeInput>, actor: Actor, action: string): Promise<void> {
    const matchers = input.matchers.map((text, i) => {
      const matcher = parseMatcher(text, `input.matchers.${i}`);
      compileMatcher(matcher, `input.matchers.${i}`);
      return matcher;
    });
    const known = await this.em.find(ChannelEntity, { id: { $in: input.channelIds } }, { fields: ['id'] });
    const missing = input.channelIds.filter((id) => !known.some((c) => c.id === id));
    if (missing.length > 0) throw BadUserInputError.forField('input.channelIds', `unknown channel ${missing.join(', ')}`);
    if (input.analysisProviderId && !(await this.em.findOne(AnalysisProviderEntity, { id: input.analysisProviderId }, { fields: ['id'] }))) {
      throw BadUserInputError.forField('input.analysisProviderId', `unknown analysis provider ${input.analysisProviderId}`);
    }
    if (input.isDefault) {
      const other = await this.em.findOne(GatewayRouteEntity, { isDefault: true, id: { $ne: route.id } });
      if (other) throw new ConflictError(`route "${other.name}" is already the default route`);
    }
    const position = input.position ?? route.position ?? (await this.em.count(GatewayRouteEntity, {}));
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
    });
    try {
      await this.audit.change(actor, async (record) => {
        this.em.persist(route);
        record(action, 'route', route.id, { name: route.name, matchers: matchers.map(formatMatcher), channels: input.channelIds.length });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new ConflictError(`a route named "${input.name}" already exists`);
      throw err;
    }
    await this.announce();
  }

  private async announce(): Promise<void> {
    await this.reload();
    await this.events.publish('routes.changed', { at: new Date().toISOString() }).catch((err) => this.logger.warn({ err }, 'could not announce a route change'));
  }

  private async reload(): Promise<void> {
    const rows = await this.list();
    const compile = (r: GatewayRouteEntity): CompiledRoute => ({
      id: r.id,
      name: r.name,
      matchers: r.matchers.map((m) => compileMatcher(m)),
      channelIds: r.channelIds,
      continueMatching: r.continueMatching,
      perAlert: r.perAlert,
      analysisProviderId: r.analysisProviderId ?? null,
    });
    const enabled = rows.filter((r) => r.enabled);
    this.table = {
      routes: enabled.filter((r) => !r.isDefault).map(compile),
      fallback: enabled.filter((r) => r.isDefault).map(compile)[0] ?? null,
    };
  }
}
