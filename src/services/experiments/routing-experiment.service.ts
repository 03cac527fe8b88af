import { createHash } from 'node:crypto';
import type { EntityManager, MikroORM } from '@mikro-orm/core';
import { z } from 'zod';
import { assertChannelsExist } from '../channels/channel-refs';
import { RoutingExperimentEntity, type RouteVariant } from '../../entities/experiments/routing-experiment.entity';
import { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import { BadUserInputError, ConflictError, NotFoundError, parseInput } from '../../errors';
import { alertFlagContext, type FlagResolver } from '../flags/flag-resolver';
import { compileMatcher, matchesAll } from '../gateway/label-matcher';
import type { CompiledRoute, RouteDecision } from '../gateway/route-table';
import { windowOf, type RouteService } from '../gateway/route.service';
import type { Logger } from '../../shared/logger';
import type { EventBus } from '../pubsub/event-bus';
import type { Actor, AuditService } from '../security/audit.service';
import { NamedConfigStore } from '../shared/named-config-store';
import { ReloadOnChange } from '../shared/reload-on-change';
import { compareArms, type EpisodeOutcome, type ExperimentVerdict } from './experiment-stats';

const experimentInput = z.strictObject({
  name: z.string().trim().min(1, { message: 'must not be empty', abort: true }).max(100),
  routeId: z.uuid('expected a route id'),
  splitPercent: z.number().int().min(1, 'must be 1 to 99').max(99, 'must be 1 to 99').default(50),
  variant: z
    .strictObject({
      channelIds: z.array(z.uuid('expected a channel id')).min(1).max(100).optional(),
      perAlert: z.boolean().optional(),
      groupWaitSeconds: z.number().int().min(0).max(3_600).nullish(),
      groupIntervalSeconds: z.number().int().min(1).max(86_400).nullish(),
      repeatIntervalSeconds: z
        .number()
        .int()
        .min(60)
        .max(7 * 86_400)
        .nullish(),
    })
    .refine((v) => Object.values(v).some((x) => x !== undefined), 'a variant must change something: channelIds, perAlert or a window'),
});

export type ExperimentInput = z.input<typeof experimentInput>;

/** Fewest acknowledged episodes per arm before a winner is named. */
export const MIN_EPISODES = 20;
const REPORT_ROWS = 100_000;

/** Which arm an alert is in: a stable hash of the experiment and the alert's labels (the identity Alertmanager fingerprints). */
export function armOf(experimentId: string, labels: Record<string, string>, splitPercent: number): 'A' | 'B' {
  const hash = createHash('sha256').update(experimentId);
  for (const key of Object.keys(labels).sort()) hash.update(`\u0000${key}\u0001${labels[key]}`);
  return hash.digest().readUInt32BE(0) % 100 < splitPercent ? 'B' : 'A';
}

interface RunningExperiment {
  id: string;
  splitPercent: number;
  variant: RouteVariant;
}

export interface ExperimentReport extends ExperimentVerdict {
  experimentId: string;
  from: Date;
  to: Date;
}

export interface RoutingExperimentDeps {
  orm: MikroORM;
  em: EntityManager;
  audit: AuditService;
  routes: Pick<RouteService, 'update'>;
  flags: FlagResolver;
  events: EventBus;
  logger: Logger;
}

/**
 * A/B tests of routes (flag routing.learning). Running experiments are kept in memory on every
 * replica; routing puts an alert in arm B by a stable hash of its labels, where the route's
 * variant replaces it. Reports are computed from what was recorded (records, acknowledgements,
 * feedback), so nothing extra is written on the alert path.
 */
export class RoutingExperimentService {
  private running = new Map<string, RunningExperiment>();
  private readonly variants = new WeakMap<CompiledRoute, { experimentId: string; route: CompiledRoute }>();
  private readonly changes: ReloadOnChange;
  private readonly store: NamedConfigStore<RoutingExperimentEntity & { updatedAt: Date }>;

  constructor(private readonly deps: RoutingExperimentDeps) {
    this.changes = new ReloadOnChange(deps.events, 'experiments.changed', () => this.reload(), deps.logger);
    this.store = new NamedConfigStore(deps.em, deps.audit, this.changes, {
      entity: RoutingExperimentEntity,
      label: 'routing experiment',
      auditType: 'routing_experiment',
      auditAction: 'experiment',
    });
  }

  start(): Promise<void> {
    return this.changes.start();
  }

  stop(): Promise<void> {
    return this.changes.stop();
  }

  /** On the alert path: the decision with each route under a running experiment replaced by its variant for arm B. */
  apply(decision: RouteDecision, labels: Record<string, string>): RouteDecision {
    if (this.running.size === 0) return decision;
    let changed = false;
    const routes = decision.routes.map((route) => {
      const experiment = this.running.get(route.id);
      if (!experiment || armOf(experiment.id, labels, experiment.splitPercent) !== 'B') return route;
      if (!this.deps.flags.isEnabled('routing.learning', alertFlagContext(labels.cluster, labels))) return route;
      changed = true;
      return this.variantOf(route, experiment);
    });
    return changed ? { routes, channelIds: [...new Set(routes.flatMap((r) => r.channelIds))] } : decision;
  }

  list(): Promise<RoutingExperimentEntity[]> {
    return this.deps.em.fork().find(RoutingExperimentEntity, {}, { orderBy: { startedAt: 'desc' } });
  }

  async get(id: string): Promise<RoutingExperimentEntity> {
    return NotFoundError.assert(await this.deps.em.findOne(RoutingExperimentEntity, { id }), 'routing experiment', id);
  }

  async create(input: ExperimentInput, actor: Actor): Promise<RoutingExperimentEntity> {
    const parsed = parseInput(experimentInput, input, 'input');
    const route = await this.deps.em.findOne(GatewayRouteEntity, { id: parsed.routeId });
    if (!route) throw BadUserInputError.forField('input.routeId', `unknown route ${parsed.routeId}`);
    const variant = parsed.variant as RouteVariant;
    await assertChannelsExist(this.deps.em, [{ field: 'input.variant.channelIds', ids: variant.channelIds ?? [] }]);
    const changesWindow = ['groupWaitSeconds', 'groupIntervalSeconds', 'repeatIntervalSeconds'].some(
      (k) => variant[k as keyof RouteVariant] !== undefined,
    );
    // A route window is kept per route and channel: both arms on one channel would share it.
    if (changesWindow && (!variant.channelIds || variant.channelIds.some((id) => route.channelIds.includes(id)))) {
      throw BadUserInputError.forField(
        'input.variant',
        'a variant that changes the window needs its own channels (none of the route’s): a window is kept per route and channel',
      );
    }
    if (await this.deps.em.findOne(RoutingExperimentEntity, { routeId: parsed.routeId, state: 'running' }))
      throw new ConflictError(`route ${route.name} already has a running experiment; stop or promote it first`);
    return this.store.create(actor, (experiment) => {
      Object.assign(experiment, {
        name: parsed.name,
        routeId: parsed.routeId,
        splitPercent: parsed.splitPercent,
        variant,
        state: 'running',
        startedAt: new Date(),
      });
      return { route: route.name, splitPercent: parsed.splitPercent, variant };
    });
  }

  /** Ends an experiment without changing the route. */
  async stopExperiment(id: string, actor: Actor): Promise<RoutingExperimentEntity> {
    return this.end(id, actor, 'stopped', null);
  }

  /** Ends an experiment keeping the winning arm: B's variant is written into the route; A leaves it as it is. */
  /** Ends the experiment keeping an arm: the one named (A or B), else the report's winner. */
  async promote(id: string, arm: string | null, actor: Actor): Promise<RoutingExperimentEntity> {
    if (arm !== null && arm !== 'A' && arm !== 'B') throw BadUserInputError.forField('arm', 'expected A or B');
    const experiment = await this.get(id);
    if (experiment.state !== 'running') throw new ConflictError(`experiment ${experiment.name} is ${experiment.state}`);
    const winner = arm ?? (await this.report(id)).winner;
    if (!winner) throw new ConflictError(`experiment ${experiment.name} has no clear winner yet; name the arm to promote it anyway`);
    if (winner === 'B') {
      // Arm B's settings become the route's; what the variant leaves unset stays as it is.
      const v = experiment.variant;
      const { groupWaitSeconds, groupIntervalSeconds, repeatIntervalSeconds } = v;
      await this.deps.routes.update(
        experiment.routeId,
        {
          channelIds: v.channelIds ?? undefined,
          perAlert: v.perAlert ?? undefined,
          groupWaitSeconds,
          groupIntervalSeconds,
          repeatIntervalSeconds,
        },
        actor,
      );
    }
    return this.end(id, actor, 'promoted', winner);
  }

  /** Each arm's episodes over the experiment so far, compared. */
  async report(id: string, now = new Date()): Promise<ExperimentReport> {
    const experiment = await this.get(id);
    const route = await this.deps.em.findOne(GatewayRouteEntity, { id: experiment.routeId });
    const matchers = (route?.matchers ?? []).map((m) => compileMatcher(m));
    const from = experiment.startedAt;
    const to = experiment.endedAt ?? now;
    const connection = this.deps.orm.em.getConnection();
    const records: Array<{
      id: string;
      labels: Record<string, string> | string;
      fingerprint: string;
      starts_at: string;
      status: string;
      received_at: string;
      first_delivered_at: string | null;
    }> = await connection.execute(
      `select "id", "labels", "fingerprint", "starts_at", "status", "received_at", "first_delivered_at" from "alert_record" where "received_at" >= ? and "received_at" <= ? order by "received_at" limit ${REPORT_ROWS}`,
      [from, to],
    );
    type Episode = EpisodeOutcome & { arm: 'A' | 'B'; firstNotice: number | null; resolvedAt: number | null };
    const episodes = new Map<string, Episode>();
    const episodeOfRecord = new Map<string, Episode>();
    for (const r of records) {
      const labels = typeof r.labels === 'string' ? (JSON.parse(r.labels) as Record<string, string>) : r.labels;
      if (route && !route.isDefault && !matchesAll(matchers, labels)) continue;
      const key = `${r.fingerprint}|${new Date(r.starts_at).toISOString()}`;
      let episode = episodes.get(key);
      if (!episode)
        episodes.set(
          key,
          (episode = {
            arm: armOf(experiment.id, labels, experiment.splitPercent),
            notifications: 0,
            timeToAckSeconds: null,
            timeToResolveSeconds: null,
            rated: 0,
            negative: 0,
            firstNotice: null,
            resolvedAt: null,
          }),
        );
      episodeOfRecord.set(r.id, episode);
      if (r.first_delivered_at) {
        episode.notifications += 1;
        const at = new Date(r.first_delivered_at).getTime();
        episode.firstNotice = episode.firstNotice === null ? at : Math.min(episode.firstNotice, at);
      }
      if (r.status === 'resolved') episode.resolvedAt ??= new Date(r.received_at).getTime();
    }
    const acks: Array<{ fingerprint: string; starts_at: string; time_to_ack_seconds: number | null }> = await connection.execute(
      `select "fingerprint", "starts_at", "time_to_ack_seconds" from "alert_ack" where "acknowledged_at" >= ?`,
      [from],
    );
    for (const ack of acks) {
      const episode = episodes.get(`${ack.fingerprint}|${new Date(ack.starts_at).toISOString()}`);
      if (episode && ack.time_to_ack_seconds !== null) episode.timeToAckSeconds = Number(ack.time_to_ack_seconds);
    }
    const ratings: Array<{ record_id: string; feedback_useful: boolean }> = await connection.execute(
      `select "record_id", "feedback_useful" from "alert_analysis" where "feedback_useful" is not null and "created_at" >= ?`,
      [from],
    );
    for (const rating of ratings) {
      const episode = episodeOfRecord.get(rating.record_id);
      if (!episode) continue;
      episode.rated += 1;
      if (!rating.feedback_useful) episode.negative += 1;
    }
    for (const episode of episodes.values()) {
      if (episode.firstNotice !== null && episode.resolvedAt !== null)
        episode.timeToResolveSeconds = Math.max(0, (episode.resolvedAt - episode.firstNotice) / 1000);
    }
    const all = [...episodes.values()].filter((e) => e.notifications > 0);
    return {
      experimentId: id,
      from,
      to,
      ...compareArms(
        all.filter((e) => e.arm === 'A'),
        all.filter((e) => e.arm === 'B'),
        MIN_EPISODES,
      ),
    };
  }

  private async end(id: string, actor: Actor, state: 'stopped' | 'promoted', winner: 'A' | 'B' | null): Promise<RoutingExperimentEntity> {
    const experiment = await this.get(id);
    if (experiment.state !== 'running') throw new ConflictError(`experiment ${experiment.name} is ${experiment.state}`);
    await this.deps.audit.change(actor, async (record) => {
      Object.assign(experiment, { state, winner, endedAt: new Date(), updatedAt: new Date() });
      record(`experiment.${state}`, 'routing_experiment', id, { name: experiment.name, ...(winner ? { winner } : {}) });
    });
    await this.changes.announce();
    return experiment;
  }

  private variantOf(route: CompiledRoute, experiment: RunningExperiment): CompiledRoute {
    const cached = this.variants.get(route);
    if (cached && cached.experimentId === experiment.id) return cached.route;
    const v = experiment.variant;
    const window = windowOf({
      groupWaitSeconds: v.groupWaitSeconds !== undefined ? v.groupWaitSeconds : route.window?.waitSeconds,
      groupIntervalSeconds: v.groupIntervalSeconds !== undefined ? v.groupIntervalSeconds : route.window?.intervalSeconds,
      repeatIntervalSeconds: v.repeatIntervalSeconds !== undefined ? v.repeatIntervalSeconds : route.window?.repeatSeconds,
    });
    const variant: CompiledRoute = {
      ...route,
      channelIds: v.channelIds ?? route.channelIds,
      perAlert: v.perAlert ?? route.perAlert,
      window,
    };
    this.variants.set(route, { experimentId: experiment.id, route: variant });
    return variant;
  }

  private async reload(): Promise<void> {
    const rows = await this.deps.em.fork().find(RoutingExperimentEntity, { state: 'running' });
    this.running = new Map(rows.map((r) => [r.routeId, { id: r.id, splitPercent: r.splitPercent, variant: r.variant }]));
  }
}
