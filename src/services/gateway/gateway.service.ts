import { inSpan } from '../observability/tracing';
import { randomUUID } from 'node:crypto';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import type { Config } from '../../config';
import type { DeliveryRow } from '../channels/delivery.repository';
import type { DeliveryService } from '../channels/delivery.service';
import type { FlagResolver } from '../flags/flag-resolver';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { JobQueue } from '../queue/job-queue';
import type { AlertmanagerAlert, AlertmanagerPayload } from './alertmanager-payload';
import { GatewayRepository } from './gateway.repository';
import { IntakeGate } from './intake-gate';
import { PeriodicTask } from '../shared/periodic-task';
import { ConvergenceStage } from './pipeline/convergence.stage';
import { DedupeStage } from './pipeline/dedupe.stage';
import { FlapStage, type FlapStageDeps } from './pipeline/flap.stage';
import { IncidentStage, type IncidentStageDeps } from './pipeline/incident.stage';
import { InhibitionStage, type InhibitionStageDeps } from './pipeline/inhibition.stage';
import { MaintenanceStage, type MaintenanceStageDeps } from './pipeline/maintenance.stage';
import { deliverReceipt } from './pipeline/delivery.stage';
import { freshReceipt, type HoldStage, type ReceiptInHand } from './pipeline/receipt';
import { RecordEvents } from './pipeline/record-events';
import { routeReceipt, type RoutingVariants } from './pipeline/routing.stage';
import { RouteWindowStage, type RouteWindowStageDeps } from './pipeline/route-window.stage';
import { WindowClaims } from './pipeline/window-claims';
import { firstDeliveredAt, recordIdFor, stateOf, type Hold } from './record-state';
import type { RouteService } from './route.service';
import type { WindowStore } from './window-store';
import type { FlapStore } from './flap-store';
import type { AlertView } from '../channels/message';

export { recordIdFor } from './record-state';

export interface GatewayDeps {
  orm: MikroORM;
  queue: JobQueue;
  routes: RouteService;
  deliveries: DeliveryService;
  events: EventBus;
  metrics: Metrics;
  logger: Logger;
  windows: WindowStore;
  flaps: FlapStore;
  flags: FlagResolver;
  settings: Config['gateway'];
  inhibition: Pick<InhibitionStageDeps, 'rules' | 'repository' | 'releaser'>;
  maintenance: Pick<MaintenanceStageDeps, 'windows' | 'suppressed'>;
  policies: IncidentStageDeps['policies'];
  incidents: IncidentStageDeps['repository'] & FlapStageDeps['incidents'];
  incidentNotifier: IncidentStageDeps['notifier'];
  routeWindows: Pick<RouteWindowStageDeps, 'repository' | 'flusher'>;
  /** Asked after delivery; never awaited by the delivery path. */
  /** A/B tests of routes (flag routing.learning). */
  experiments: RoutingVariants;
  /** Escalation timers (flag analysis.escalation) start at an alert's first notice. */
  escalations: { track(notices: Array<{ recordId: string; alert: AlertmanagerAlert; at: Date }>): Promise<void> };
  analysis: {
    requestAfterDelivery(
      requests: Array<{ recordId: string; providerId: string; alertname: string; fingerprint: string; labels: Record<string, string> }>,
    ): Promise<void>;
  };
}

export interface Acceptance {
  receiptId: string;
  accepted: number;
  truncatedAlerts: number;
}

/** A receipt this process has just taken: in memory, and being stored. */
type JustAccepted = ReceiptInHand & { stored: Promise<void> };

/**
 * The alert path as a pipeline, in the order an alert meets it: store (before answering) →
 * hold-back stages (HA copies, maintenance, inhibition, flapping, incidents, convergence) → routing →
 * route windows → delivery → records and events.
 * Routing and delivery run after the answer, in this process; a sweeper finishes receipts a
 * crash left.
 */
export class GatewayService {
  private readonly intake: IntakeGate;
  private readonly repository: GatewayRepository;
  private readonly records: RecordEvents;
  private readonly convergence: ConvergenceStage;
  private readonly incidents: IncidentStage;
  private readonly flapping: FlapStage;
  private readonly routeWindows: RouteWindowStage;
  /** Run in order before routing; each decides only for what the ones before it did not hold. */
  private readonly holdStages: HoldStage[];
  private readonly sweeper: PeriodicTask;
  /** Receipts this process is routing now, so its sweeper never routes one a second time alongside. */
  private readonly inFlight = new Map<string, Promise<void>>();
  /** Unrouted alerts are logged at most once a minute, with how many came since the last line. */
  private unrouted = { loggedAt: 0, since: 0 };

  constructor(private readonly deps: GatewayDeps) {
    const { orm, settings, windows } = deps;
    this.repository = new GatewayRepository(orm);
    this.records = new RecordEvents(deps.metrics, deps.events, deps.logger);
    const claims = new WindowClaims(windows, (id) => this.repository.receiptExists(id));
    this.convergence = new ConvergenceStage({ ...deps, claims, windowMs: () => settings.convergenceWindowMs });
    this.incidents = new IncidentStage({
      flags: deps.flags,
      policies: deps.policies,
      repository: deps.incidents,
      receiptExists: (id) => this.repository.receiptExists(id),
      notifier: deps.incidentNotifier,
      routes: deps.routes,
      events: deps.events,
      logger: deps.logger,
    });
    const inhibition = new InhibitionStage({
      ...deps.inhibition,
      flags: deps.flags,
      logger: deps.logger,
      timing: () => ({ sourceTtlMs: settings.inhibitionSourceTtlMs, releaseWaitMs: settings.inhibitionReleaseWaitMs }),
    });
    this.flapping = new FlapStage({
      ...deps,
      store: deps.flaps,
      settings: () => ({ changes: settings.flapChanges, windowMs: settings.flapWindowMs, quietMs: settings.flapQuietMs }),
    });
    this.routeWindows = new RouteWindowStage({ ...deps.routeWindows, flags: deps.flags });
    const maintenance = new MaintenanceStage({ ...deps.maintenance, flags: deps.flags });
    this.holdStages = [
      new DedupeStage(claims, () => settings.dedupeWindowMs),
      maintenance,
      inhibition,
      this.flapping,
      this.incidents,
      this.convergence,
    ];
    deps.deliveries.onSettledAfterRetry((delivery) => this.settleRecords(delivery));
    this.sweeper = new PeriodicTask('receipt', () => this.resume(), deps.logger);
    this.intake = new IntakeGate(settings.maxInFlightAlerts, settings.overloadRetryAfterSeconds, deps.metrics, deps.events, deps.logger);
  }

  /** Loads what the stages keep in memory (the incidents this replica must know of). */
  async start(): Promise<void> {
    await this.incidents.start();
  }

  /** Released inhibition targets whose incident is open join it (flag gateway.grouping); answers their fingerprints. */
  joinReleased(alerts: Array<{ alert: AlertView; receiver: string }>): Promise<Set<string>> {
    return this.incidents.joinReleased(alerts);
  }

  /** What works differently now (an overload), for /readyz. */
  degradations(): string[] {
    return this.intake.degradations();
  }

  /**
   * Stores the receipt and one record per alert before answering; when it returns, nothing can
   * be lost. Pass-through: routing and the first delivery attempts start at once, while the
   * receipt is being stored, so the store's latency is not in front of the channel.
   */
  async accept(payload: AlertmanagerPayload, source: string): Promise<Acceptance> {
    // Refused while too much waits for its first send: before anything is stored or sent.
    this.intake.admit(payload.alerts.length);
    const receiptId = randomUUID();
    const recordIds = payload.alerts.map((_, index) => recordIdFor(receiptId, index));
    const receivedAt = new Date();
    const stored = this.repository.storeReceipt({ receiptId, receivedAt, payload, recordIds, source });
    this.runInBackground({ ...freshReceipt({ receiptId, payload, receivedAt, recordIds, stored }), stored });
    await stored;
    this.records.count(payload.alerts.map((alert) => ({ state: 'received', alert })));
    payload.alerts.forEach((alert, index) => void this.records.publish('received', recordIds[index], receiptId, alert, null));
    return { receiptId, accepted: payload.alerts.length, truncatedAlerts: payload.truncatedAlerts };
  }

  /**
   * Routes a receipt's alerts and delivers them; idempotent, so a crash or a second replica cannot
   * double-send. `known` is a receipt this process has just taken and is still storing.
   */
  async process(receiptId: string, known?: JustAccepted): Promise<void> {
    if (known) {
      // Just accepted by this process: the payload is in memory and nobody else has had time to take it.
      try {
        await this.pass(known);
      } catch (err) {
        if (
          await known.stored.then(
            () => true,
            () => false,
          )
        )
          throw err;
        // Never stored, so Alertmanager hears 5xx and sends the receipt again: that copy must find the windows open.
        await this.deps.windows
          .release(known.claimed, receiptId)
          .catch((releaseErr) => this.deps.logger.warn({ err: releaseErr, receiptId }, 'could not release windows'));
      }
      return;
    }
    const receipt = await this.repository.unprocessedReceipt(receiptId);
    if (!receipt) return;
    const recordIds = receipt.payload.alerts.map((_, index) => recordIdFor(receiptId, index));
    await this.pass(freshReceipt({ receiptId, ...receipt, recordIds, stored: null }));
  }

  /** One pass of a receipt through the pipeline, traced as one span with a child per stage. */
  private pass(receipt: ReceiptInHand): Promise<void> {
    return inSpan(
      'gateway.receipt',
      () => ({ 'alertagent.receipt_id': receipt.receiptId, 'alertagent.alerts': receipt.payload.alerts.length }),
      () => this.passStages(receipt),
    );
  }

  private async passStages(receipt: ReceiptInHand): Promise<void> {
    const { receiptId, payload, receivedAt, recordIds, stored } = receipt;
    const routedAt = new Date();
    const held: Array<Hold | null> = payload.alerts.map(() => null);
    for (const stage of this.holdStages) await inSpan(`gateway.${stage.name}`, {}, () => stage.hold(receipt, held));
    const routing = await inSpan('gateway.routing', {}, () => routeReceipt(this.deps.routes, receipt, held, this.deps.experiments));
    await inSpan('gateway.route-windows', {}, () => this.routeWindows.apply(receipt, held, routing));
    const { outcomes, failedHandOff } = await inSpan('gateway.delivery', {}, () =>
      deliverReceipt(this.deps.deliveries, this.deps.logger, receipt, held, routing),
    );
    await Promise.all(receipt.afterSend);
    outcomes.forEach((outcome, index) => (outcome.incidentId ??= receipt.incidents[index]));

    await stored;
    await this.repository.storeOutcomes(outcomes, routedAt, failedHandOff ? null : receiptId);
    this.records.count(outcomes.map((outcome, index) => ({ state: outcome.state, alert: payload.alerts[index] })));
    this.warnUnrouted(
      payload.alerts.filter((_, index) => outcomes[index]!.state === 'unrouted').map((alert) => alert.labels.alertname ?? ''),
    );
    outcomes.forEach((outcome, index) => {
      const alert = payload.alerts[index];
      this.records.firstDelivery(alert, receivedAt, outcome.firstDeliveredAt);
      void this.records.publish(
        outcome.state,
        recordIds[index],
        receiptId,
        alert,
        routing.notes[index] ?? (outcome.state === 'failed' ? 'no channel accepted the alert' : null),
      );
    });
    this.requestAnalyses(
      receipt,
      outcomes.map((o) => o.deliveryIds.length > 0),
      routing.decisions.map((d) => d.routes.map((r) => r.analysisProviderId)),
    );
    const firstNotices = outcomes.flatMap((o, index) =>
      o.firstDeliveredAt ? [{ recordId: recordIds[index], alert: payload.alerts[index], at: o.firstDeliveredAt }] : [],
    );
    if (firstNotices.length > 0) void this.deps.escalations.track(firstNotices);
  }

  /** Alerts that matched no route reach nobody: say so in the log (the records and the metric count each one). */
  private warnUnrouted(alertnames: string[]): void {
    if (alertnames.length === 0) return;
    this.unrouted.since += alertnames.length;
    const now = Date.now();
    if (now - this.unrouted.loggedAt < 60_000) return;
    this.deps.logger.warn(
      { alerts: this.unrouted.since, alertnames: [...new Set(alertnames)].slice(0, 10) },
      'alerts matched no route and there is no default route: nobody was told (add a route, or mark one isDefault)',
    );
    this.unrouted = { loggedAt: now, since: 0 };
  }

  /** Analysis comes after delivery and off its path: queued in the background, never awaited here. */
  private requestAnalyses(receipt: ReceiptInHand, delivered: boolean[], providers: Array<Array<string | null>>): void {
    const analyses = receipt.payload.alerts.flatMap((alert, index) =>
      !delivered[index]
        ? []
        : [...new Set(providers[index].filter((id): id is string => id !== null))].map((providerId) => ({
            recordId: receipt.recordIds[index],
            providerId,
            alertname: alert.labels.alertname ?? '',
            fingerprint: alert.fingerprint,
            labels: alert.labels,
          })),
    );
    if (analyses.length > 0)
      void this.deps.analysis
        .requestAfterDelivery(analyses)
        .catch((err) => this.deps.logger.warn({ err, receiptId: receipt.receiptId }, 'could not request analyses'));
  }

  /** A delivery finished after retries: bring the records it served up to date and tell subscribers. */
  async settleRecords(delivery: DeliveryRow): Promise<void> {
    for (const record of await this.repository.recordsServedBy(delivery.id)) {
      const rows = (await Promise.all(record.deliveryIds.map((id) => this.deps.deliveries.find(id)))).filter(
        (d): d is DeliveryRow => d !== null,
      );
      const state = stateOf(rows, true, false);
      const first = firstDeliveredAt(rows);
      await this.repository.settleRecord(record.id, state, first);
      this.records.firstDelivery(record.alert, record.receivedAt, first);
      this.records.count([{ state, alert: record.alert }]);
      void this.records.publish(state, record.id, record.receiptId, record.alert, state === 'failed' ? delivery.lastError : null);
    }
  }

  /** Finishes receipts that were accepted but never processed (the process stopped in between). */
  async resume(): Promise<number> {
    const { orm, logger, settings } = this.deps;
    const orphans = (await this.repository.orphanReceiptIds(new Date(Date.now() - settings.orphanAfterMs), 200)).filter(
      (id) => !this.inFlight.has(id),
    );
    for (const id of orphans)
      await RequestContext.create(orm.em, () => this.process(id)).catch((err) =>
        logger.error({ err, receiptId: id }, 'could not resume a receipt'),
      );
    return orphans.length;
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs, true);
  }

  stopSweeper(): void {
    this.sweeper.stop();
  }

  /** Lets alerts in flight finish (their receipts are durable either way), then lets go of the incidents. */
  async stop(): Promise<void> {
    this.sweeper.stop();
    await Promise.allSettled([...this.inFlight.values()]);
    await this.incidents.stop();
  }

  registerProcessor(): void {
    this.convergence.registerProcessor();
    this.flapping.registerProcessor();
  }

  private runInBackground(known: JustAccepted): void {
    const { receiptId } = known;
    const run = RequestContext.create(this.deps.orm.em, () => this.process(receiptId, known))
      .catch((err) => this.deps.logger.error({ err, receiptId }, 'processing a receipt failed; the sweeper will retry it'))
      .finally(() => {
        this.inFlight.delete(receiptId);
        this.intake.release(known.payload.alerts.length);
      });
    this.inFlight.set(receiptId, run);
  }
}
