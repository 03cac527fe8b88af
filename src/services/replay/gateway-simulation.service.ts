import type { MikroORM } from '@mikro-orm/core';
import type { Config } from '../../config';
import { ChannelEntity } from '../../entities/channels/channel.entity';
import { assertChannelsExist } from '../channels/channel-refs';
import { GatewaySimulationEntity } from '../../entities/gateway/gateway-simulation.entity';
import { BadUserInputError, ConflictError, NotFoundError } from '../../errors';
import type { FlagResolver } from '../flags/flag-resolver';
import { recordIdFor } from '../gateway/record-state';
import { compileTable, type RouteSpec } from '../gateway/route-table';
import { checkRoute, routeSpecOf, tableSpec, type RouteInput, type RouteService } from '../gateway/route.service';
import { compilePolicy, type CorrelationPolicyInput, type CorrelationPolicyService } from '../incidents/correlation-policy.service';
import { compileInhibitionRule, type InhibitionRuleInput, type InhibitionRuleService } from '../inhibition/inhibition-rule.service';
import {
  compileMaintenanceWindow,
  type MaintenanceWindowInput,
  type MaintenanceWindowService,
} from '../maintenance-windows/maintenance-window.service';
import type { Logger } from '../../shared/logger';
import type { JobQueue } from '../queue/job-queue';
import type { Actor } from '../security/audit.service';
import { GatewayModel, MODEL_FLAGS, type GatewayModelConfig, type ModelFlag } from './gateway-model';
import { RecordedTraffic } from './recorded-traffic';
import { SimulationTally } from './simulation-tally';

/** What a replay tries instead of what is in force; a part left out is taken as in force when the replay runs. */
export interface GatewayProposal {
  routes?: RouteInput[] | null;
  policies?: CorrelationPolicyInput[] | null;
  inhibitionRules?: InhibitionRuleInput[] | null;
  maintenanceWindows?: MaintenanceWindowInput[] | null;
  /** Flags switched on or off for the replay; the others as they are now. */
  flags?: Array<{ name: string; enabled: boolean }> | null;
}

/** The longest range one replay covers. */
export const MAX_SIMULATION_DAYS = 31;
const PAGE_SIZE = 500;
/** Receipts played between yields to the event loop (a few milliseconds of work). */
const YIELD_EVERY = 50;
const JOB = 'gateway.simulate';

const asDates = (w: MaintenanceWindowInput): MaintenanceWindowInput => ({
  ...w,
  startsAt: w.startsAt ? new Date(w.startsAt) : w.startsAt,
  endsAt: w.endsAt ? new Date(w.endsAt) : w.endsAt,
});

export interface GatewaySimulationDeps {
  orm: MikroORM;
  queue: JobQueue;
  /** What is in force now: the replay plays a proposal against it. */
  inForce: {
    routes: Pick<RouteService, 'current'>;
    policies: Pick<CorrelationPolicyService, 'policies'>;
    inhibitionRules: Pick<InhibitionRuleService, 'rules'>;
    maintenanceWindows: Pick<MaintenanceWindowService, 'windows'>;
    flags: Pick<FlagResolver, 'isEnabled'>;
  };
  settings: Config['gateway'];
  logger: Logger;
}

/**
 * Replay before rollout (simulateGateway): recorded receipts of a time range go through a proposed
 * set of routes, policies, inhibition rules, maintenance windows and flags on the gateway model,
 * sending nothing, and the answer compares it with what really happened. Runs as a background
 * job (durable in production) with progress; cancellable between pages of receipts.
 */
export class GatewaySimulationService {
  private readonly traffic: RecordedTraffic;

  constructor(private readonly deps: GatewaySimulationDeps) {
    this.traffic = new RecordedTraffic(deps.orm);
  }

  /** Checks the request in full (nothing is stored for a bad one), stores it and books its job. */
  async start(from: Date, to: Date, proposal: GatewayProposal, actor: Actor): Promise<GatewaySimulationEntity> {
    if (Number.isNaN(from.getTime())) throw BadUserInputError.forField('from', 'expected a date-time');
    if (Number.isNaN(to.getTime())) throw BadUserInputError.forField('to', 'expected a date-time');
    if (to <= from) throw BadUserInputError.forField('to', 'must be after from');
    if (to.getTime() - from.getTime() > MAX_SIMULATION_DAYS * 86_400_000)
      throw BadUserInputError.forField('to', `a replay covers at most ${MAX_SIMULATION_DAYS} days; split the range`);
    const flags = this.flagsFor(proposal);
    await this.configFor(proposal, from, flags);
    const row = new GatewaySimulationEntity();
    Object.assign(row, {
      rangeFrom: from,
      rangeTo: to,
      proposal: { ...proposal, flags: [...flags].map((name) => ({ name, enabled: true })) },
      requestedBy: actor.principal.name.slice(0, 200),
    });
    await this.deps.orm.em.fork().persistAndFlush(row);
    await this.deps.queue.enqueue(JOB, { simulationId: row.id }, { jobId: `simulate_${row.id}`, attempts: 2 });
    return row;
  }

  async find(id: string): Promise<GatewaySimulationEntity> {
    return NotFoundError.assert(await this.deps.orm.em.fork().findOne(GatewaySimulationEntity, { id }), 'simulation', id);
  }

  /** Names of the channels a result counts (deleted ones are missing). */
  async channelNames(ids: string[]): Promise<Map<string, string>> {
    const rows = await this.deps.orm.em.fork().find(ChannelEntity, { id: { $in: ids } }, { fields: ['id', 'name'] });
    return new Map(rows.map((c) => [c.id, c.name]));
  }

  list(limit: number): Promise<GatewaySimulationEntity[]> {
    return this.deps.orm.em.fork().find(GatewaySimulationEntity, {}, { orderBy: { createdAt: 'desc' }, limit });
  }

  /** Asks a queued or running replay to stop; it stops at its next page of receipts. */
  async cancel(id: string): Promise<GatewaySimulationEntity> {
    const em = this.deps.orm.em.fork();
    const row = NotFoundError.assert(await em.findOne(GatewaySimulationEntity, { id }), 'simulation', id);
    if (row.state !== 'queued' && row.state !== 'running')
      throw new ConflictError(
        `simulation ${id} has already ${row.state === 'completed' ? 'completed' : row.state === 'failed' ? 'failed' : 'been cancelled'}`,
      );
    row.cancelRequested = true;
    if (row.state === 'queued') Object.assign(row, { state: 'cancelled', finishedAt: new Date() });
    await em.flush();
    return row;
  }

  registerProcessor(): void {
    this.deps.queue.process(JOB, ({ data }) => this.run(data.simulationId));
  }

  /** The flags the replay plays: those proposed, the others as in force now. */
  private flagsFor(proposal: GatewayProposal): Set<ModelFlag> {
    const on = new Set<ModelFlag>(MODEL_FLAGS.filter((name) => this.deps.inForce.flags.isEnabled(name)));
    (proposal.flags ?? []).forEach((flag, i) => {
      if (!(MODEL_FLAGS as readonly string[]).includes(flag.name)) {
        throw BadUserInputError.forField(
          `proposal.flags[${i}].name`,
          `"${flag.name}" is not a flag the gateway replay plays (one of ${MODEL_FLAGS.join(', ')})`,
        );
      }
      if (flag.enabled) on.add(flag.name as ModelFlag);
      else on.delete(flag.name as ModelFlag);
    });
    return on;
  }

  /** Compiles the proposal, naming the field of anything wrong in it; parts not proposed are taken as in force. */
  private async configFor(proposal: GatewayProposal, from: Date, flags: ReadonlySet<ModelFlag>): Promise<GatewayModelConfig> {
    return {
      flags,
      routes: proposal.routes ? await this.proposedRoutes(proposal.routes) : this.deps.inForce.routes.current(),
      policies: proposal.policies
        ? proposal.policies
            .filter((p) => p.enabled !== false)
            .map((p, i) => compilePolicy(p, `proposed-policy-${i}`, `proposal.policies[${i}]`).compiled)
        : this.deps.inForce.policies.policies(),
      inhibitionRules: proposal.inhibitionRules
        ? proposal.inhibitionRules
            .filter((r) => r.enabled !== false)
            .map((r, i) => compileInhibitionRule(r, `proposed-rule-${i}`, `proposal.inhibitionRules[${i}]`).compiled)
        : this.deps.inForce.inhibitionRules.rules(),
      // A proposed window need only still open at the start of the range: replays look back.
      maintenanceWindows: proposal.maintenanceWindows
        ? proposal.maintenanceWindows
            .filter((w) => w.enabled !== false)
            .map((w, i) => compileMaintenanceWindow(asDates(w), `proposed-window-${i}`, from, `proposal.maintenanceWindows[${i}]`).compiled)
        : this.deps.inForce.maintenanceWindows.windows(),
      settings: this.deps.settings,
    };
  }

  private async proposedRoutes(inputs: RouteInput[]) {
    const checked = inputs.map((input, i) => ({ i, ...checkRoute(input, `proposal.routes[${i}]`) }));
    await assertChannelsExist(
      this.deps.orm.em.fork(),
      checked.map(({ i, parsed }) => ({ field: `proposal.routes[${i}].channelIds`, ids: parsed.channelIds })),
    );
    const defaults = checked.filter((c) => c.parsed.isDefault);
    if (defaults.length > 1)
      throw BadUserInputError.forField(
        `proposal.routes[${defaults[1].i}].isDefault`,
        `route "${defaults[0].parsed.name}" is already the default route`,
      );
    const enabled = checked.filter((c) => c.parsed.enabled);
    const spec = (c: (typeof checked)[number]): RouteSpec => routeSpecOf(`proposed-route-${c.i}`, c.parsed, c.matchers, c.window);
    return compileTable(
      tableSpec(enabled.filter((c) => !c.parsed.isDefault).map(spec), enabled.filter((c) => c.parsed.isDefault).map(spec)[0] ?? null),
    );
  }

  /** Runs one replay to its end, or to a cancel. */
  async run(id: string): Promise<void> {
    const em = this.deps.orm.em.fork();
    const row = await em.findOne(GatewaySimulationEntity, { id });
    if (!row || row.state === 'completed' || row.state === 'cancelled') return;
    const from = row.rangeFrom;
    const to = row.rangeTo;
    try {
      const proposal = row.proposal as GatewayProposal;
      const config = await this.configFor(
        proposal,
        from,
        new Set((proposal.flags ?? []).filter((f) => f.enabled).map((f) => f.name as ModelFlag)),
      );
      Object.assign(row, {
        state: 'running',
        startedAt: new Date(),
        receiptsDone: 0,
        receiptsTotal: await this.traffic.countReceipts(from, to),
      });
      await em.flush();
      const tally = new SimulationTally();
      const model = new GatewayModel(config, (n) => tally.notification(n));
      let after: { receivedAt: Date; id: string } | null = null;
      for (;;) {
        const page = await this.traffic.receiptsPage(from, to, after, PAGE_SIZE);
        for (const [n, receipt] of page.entries()) {
          // Lets the alert path in between when the replay shares the event loop (serve with in-process workers).
          if (n % YIELD_EVERY === YIELD_EVERY - 1) await new Promise((resolve) => setImmediate(resolve));
          const recordIds = receipt.payload.alerts.map((_, index) => recordIdFor(receipt.id, index));
          const outcomes = model.feed(receipt);
          tally.receipt(
            { receiptId: receipt.id, receivedAt: receipt.receivedAt, recordIds, alerts: receipt.payload.alerts },
            outcomes,
            recordIds.map((r) => receipt.states.get(r)),
          );
        }
        if (page.length === 0) break;
        after = { receivedAt: page[page.length - 1].receivedAt, id: page[page.length - 1].id };
        await em.refresh(row);
        if (row.cancelRequested) {
          Object.assign(row, { state: 'cancelled', finishedAt: new Date() });
          await em.flush();
          return;
        }
        row.receiptsDone += page.length;
        await em.flush();
      }
      model.finish(to.getTime());
      const routes = [...config.routes.routes, ...(config.routes.fallback ? [config.routes.fallback] : [])];
      const result = tally.result(await this.traffic.totals(from, to), (routeId) => routes.find((r) => r.id === routeId)?.name ?? routeId);
      result.incidents.simulatedOpened = model.incidentsOpened;
      result.incidents.simulatedReopened = model.incidentsReopened;
      Object.assign(row, { state: 'completed', result, finishedAt: new Date() });
      await em.flush();
    } catch (err) {
      this.deps.logger.error({ err, simulationId: id }, 'a gateway replay failed');
      Object.assign(row, { state: 'failed', error: err instanceof Error ? err.message : String(err), finishedAt: new Date() });
      await em.flush();
    }
  }
}
