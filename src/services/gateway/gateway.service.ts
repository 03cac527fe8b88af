import { createHash, randomUUID } from 'node:crypto';
import { RequestContext, type MikroORM } from '@mikro-orm/core';
import type { AlertRecordState } from '../../entities/gateway/alert-record.entity';
import { NotFoundError } from '../../errors';
import type { DeliveryRow } from '../channels/delivery.repository';
import type { DeliveryService } from '../channels/delivery.service';
import type { AlertView, ChannelMessage } from '../channels/message';
import type { Config } from '../../config';
import type { FlagResolver } from '../flags/flag-resolver';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { GatewayEvent } from '../pubsub/event-map';
import { storableDate, ZERO_TIME, type AlertmanagerAlert, type AlertmanagerPayload } from './alertmanager-payload';
import type { JobQueue } from '../queue/job-queue';
import type { CompiledRoute, RouteDecision, RouteService } from './route.service';
import type { WindowClaim, WindowStore } from './window-store';
import { MicroBatcher } from '../shared/micro-batcher';
import { IntakeGate } from './intake-gate';
import { runBound } from '../storage/bound-sql';

export interface GatewayDeps {
  orm: MikroORM;
  queue: JobQueue;
  routes: RouteService;
  deliveries: DeliveryService;
  events: EventBus;
  metrics: Metrics;
  logger: Logger;
  windows: WindowStore;
  flags: FlagResolver;
  settings: Config['gateway'];
  /** Asked after delivery; never awaited by the delivery path. */
  analysis: { requestAfterDelivery(requests: Array<{ recordId: string; providerId: string; alertname: string; fingerprint: string }>): Promise<void> };
}

export interface Acceptance {
  receiptId: string;
  accepted: number;
  truncatedAlerts: number;
}

const RECORD_INSERT_BATCH = 500;
/** Receipts up to this size go through group commit; bigger ones are written on their own. */
const GROUP_COMMIT_MAX_ALERTS = 100;
/** How long a window's owner may take to store its receipt before a copy takes the window over. */
const OWNER_STORE_GRACE_MS = 1_000;

interface RecordUpdate {
  id: string;
  state: AlertRecordState;
  routeNames: string[];
  deliveryIds: string[];
  firstDeliveredAt: Date | null;
}

interface ReceiptOutcome {
  updates: RecordUpdate[];
  routedAt: Date;
  finishedReceiptId: string | null;
}

interface AcceptedReceipt {
  receiptId: string;
  receivedAt: Date;
  payload: AlertmanagerPayload;
  recordIds: string[];
  source: string;
}

/** A receipt being routed: `stored` is its write when this process has just taken it, null when it was read back. */
interface ReceiptInHand {
  payload: AlertmanagerPayload;
  receivedAt: Date;
  /** The record id of each alert, in order. */
  recordIds: string[];
  stored: Promise<void> | null;
}

/** A receipt this process has just taken: in memory, and being stored. */
type JustAccepted = ReceiptInHand & { stored: Promise<void> };

const INSERT_RECEIPTS = `insert into "alert_receipt" ("id", "received_at", "group_key", "receiver", "status", "alert_count", "truncated_alerts", "source", "payload") values`;
const INSERT_RECORDS = `insert into "alert_record" ("id", "receipt_id", "fingerprint", "status", "alertname", "severity", "cluster", "labels", "annotations",
  "starts_at", "ends_at", "generator_url", "received_at", "state", "route_names", "delivery_ids") values`;

function receiptRows(drafts: AcceptedReceipt[]): { sql: string; values: unknown[] } {
  return {
    sql: drafts.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?)').join(', '),
    values: drafts.flatMap(({ receiptId, receivedAt, payload, source }) => [
      receiptId, receivedAt, payload.groupKey, payload.receiver, payload.status, payload.alerts.length, payload.truncatedAlerts, source, JSON.stringify(payload),
    ]),
  };
}

/** Record rows for slices of receipts' alerts (`start` is the index of the slice's first alert in its receipt). */
function recordRows(slices: Array<{ draft: AcceptedReceipt; start: number; alerts: AlertmanagerAlert[] }>): { sql: string; values: unknown[] } {
  const rows: string[] = [];
  const values: unknown[] = [];
  for (const { draft, start, alerts } of slices) {
    alerts.forEach((alert, i) => {
      rows.push("(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 'received', '[]', '[]')");
      values.push(
        draft.recordIds[start + i],
        draft.receiptId,
        alert.fingerprint,
        alert.status,
        (alert.labels.alertname ?? '').slice(0, 200),
        alert.labels.severity?.slice(0, 64) ?? null,
        alert.labels.cluster?.slice(0, 200) ?? null,
        JSON.stringify(alert.labels),
        JSON.stringify(alert.annotations),
        storableDate(alert.startsAt),
        alert.endsAt === ZERO_TIME ? null : storableDate(alert.endsAt),
        alert.generatorURL || null,
        draft.receivedAt,
      );
    });
  }
  return { sql: rows.join(', '), values };
}

/** The record of alert `index` in a receipt has an id derived from both, so a reprocessing finds it again. */
export function recordIdFor(receiptId: string, index: number): string {
  const hex = createHash('sha256').update(`${receiptId}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

function toAlertView(alert: AlertmanagerAlert): AlertView {
  return {
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt === ZERO_TIME ? undefined : alert.endsAt,
    generatorURL: alert.generatorURL || undefined,
    fingerprint: alert.fingerprint,
  };
}

/**
 * The alert path: accept (durably, before answering), route, deliver at once. Routing and
 * delivery run after the answer, in this process; a sweeper finishes receipts a crash left.
 */
export class GatewayService {
  private readonly intake: IntakeGate;
  private sweeper: NodeJS.Timeout | null = null;
  /** Receipts this process is routing now, so its sweeper never routes one a second time alongside. */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly outcomeWriter = new MicroBatcher<ReceiptOutcome, void>((items) => this.writeOutcomes(items), { maxBatch: 32, maxConcurrent: 4, lingerMs: 10 });
  private readonly acceptWriter = new MicroBatcher<AcceptedReceipt, void>((drafts) => this.writeReceipts(drafts), { maxBatch: 32, maxConcurrent: 4, lingerMs: 2 });

  private readonly orm: MikroORM;
  private readonly queue: JobQueue;
  private readonly routes: RouteService;
  private readonly deliveries: DeliveryService;
  private readonly events: EventBus;
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private readonly windows: WindowStore;
  private readonly flags: FlagResolver;
  private readonly settings: Config['gateway'];
  private readonly analysis: GatewayDeps['analysis'];

  constructor(deps: GatewayDeps) {
    ({
      orm: this.orm,
      queue: this.queue,
      routes: this.routes,
      deliveries: this.deliveries,
      events: this.events,
      metrics: this.metrics,
      logger: this.logger,
      windows: this.windows,
      flags: this.flags,
      settings: this.settings,
      analysis: this.analysis,
    } = deps);
    this.deliveries.onSettledAfterRetry((delivery) => this.settleRecords(delivery));
    this.intake = new IntakeGate(this.settings.maxInFlightAlerts, this.settings.overloadRetryAfterSeconds, this.metrics, this.events, this.logger);
  }

  /** What works differently now (an overload), for /readyz. */
  degradations(): string[] {
    return this.intake.degradations();
  }

  /**
   * Stores the receipt and one record per alert before answering; when it returns, nothing can
   * be lost. Receipts accepted at the same moment share one statement (group commit).
   * Pass-through: routing and the first delivery attempts start at once, while the receipt is
   * being stored, so the store's latency is not in front of the channel.
   */
  async accept(payload: AlertmanagerPayload, source: string): Promise<Acceptance> {
    // Refused while too much waits for its first send: before anything is stored or sent.
    this.intake.admit(payload.alerts.length);
    const receiptId = randomUUID();
    const recordIds = payload.alerts.map((_, index) => recordIdFor(receiptId, index));
    const draft: AcceptedReceipt = { receiptId, receivedAt: new Date(), payload, recordIds, source };
    const stored = payload.alerts.length <= GROUP_COMMIT_MAX_ALERTS ? this.acceptWriter.submit(draft) : this.writeLargeReceipt(draft);
    const { receivedAt } = draft;
    this.runInBackground(receiptId, { payload, receivedAt, recordIds, stored });
    await stored;
    this.countAlerts(payload.alerts.map((alert) => ({ stage: 'received', alert })));
    payload.alerts.forEach((alert, index) => void this.publish('received', recordIds[index], receiptId, alert, null));
    return { receiptId, accepted: payload.alerts.length, truncatedAlerts: payload.truncatedAlerts };
  }

  /** Several receipts and all their records in one statement: atomic without an explicit transaction, one commit. */
  private async writeReceipts(drafts: AcceptedReceipt[]): Promise<void[]> {
    const receipts = receiptRows(drafts);
    const records = recordRows(drafts.map((draft) => ({ draft, start: 0, alerts: draft.payload.alerts })));
    await runBound(this.orm.em, `with "receipt" as (${INSERT_RECEIPTS} ${receipts.sql}) ${INSERT_RECORDS} ${records.sql}`, [...receipts.values, ...records.values]);
    return drafts.map(() => undefined);
  }

  /** A receipt too big for one statement: its parts in one transaction. */
  private async writeLargeReceipt(draft: AcceptedReceipt): Promise<void> {
    const connection = this.orm.em.getConnection();
    await this.orm.em.fork().transactional(async (em) => {
      const ctx = em.getTransactionContext();
      const receipt = receiptRows([draft]);
      await connection.execute(`${INSERT_RECEIPTS} ${receipt.sql}`, receipt.values, 'run', ctx);
      for (let start = 0; start < draft.payload.alerts.length; start += RECORD_INSERT_BATCH) {
        const records = recordRows([{ draft, start, alerts: draft.payload.alerts.slice(start, start + RECORD_INSERT_BATCH) }]);
        await connection.execute(`${INSERT_RECORDS} ${records.sql}`, records.values, 'run', ctx);
      }
    });
  }

  /**
   * Routes a receipt's alerts and delivers them; idempotent, so a crash or a second replica cannot
   * double-send. `known` is a receipt this process has just taken and is still storing.
   */
  async process(receiptId: string, known?: JustAccepted): Promise<void> {
    if (known) {
      // Just accepted by this process: the payload is in memory and nobody else has had time to take it.
      const claimed: string[] = [];
      try {
        await this.route(receiptId, known, claimed);
      } catch (err) {
        if (await known.stored.then(() => true, () => false)) throw err;
        // Never stored, so Alertmanager hears 5xx and sends the receipt again: that copy must find the windows open.
        await this.windows.release(claimed, receiptId).catch((releaseErr) => this.logger.warn({ err: releaseErr, receiptId }, 'could not release windows'));
      }
      return;
    }
    const [receipt]: Array<{ payload: AlertmanagerPayload | string; received_at: Date; processed_at: Date | null }> = await this.orm.em
      .getConnection()
      .execute(`select "payload", "received_at", "processed_at" from "alert_receipt" where "id" = ?`, [receiptId]);
    if (!receipt || receipt.processed_at) return;
    const payload: AlertmanagerPayload = typeof receipt.payload === 'string' ? JSON.parse(receipt.payload) : receipt.payload;
    const recordIds = payload.alerts.map((_, index) => recordIdFor(receiptId, index));
    await this.route(receiptId, { payload, receivedAt: new Date(receipt.received_at), recordIds, stored: null }, []);
  }

  /** `claimed` collects the windows this receipt opens, as it opens them. */
  private async route(receiptId: string, receipt: ReceiptInHand, claimed: string[]): Promise<void> {
    const { payload, receivedAt, recordIds, stored } = receipt;
    const routedAt = new Date();

    // Alerts that are copies (Alertmanager HA) or repeats inside a convergence window go nowhere.
    const held = await this.holdBack(receiptId, payload, stored, claimed);
    // Group the receipt's alerts per (route, channel): one message per channel, as Alertmanager
    // groups them; a per-alert route gives each alert its own message.
    const taken = payload.alerts.map((_, index) => index).filter((index) => !held[index]);
    const routing = await this.routes.decideAll(taken.map((index) => payload.alerts[index].labels));
    const decisions: RouteDecision[] = payload.alerts.map(() => ({ routes: [], channelIds: [] }));
    // What the record's event says about how the alert was handled, when there is more to say than its state.
    const notes: Array<string | null> = held.map((h) => h?.detail ?? null);
    taken.forEach((index, i) => {
      decisions[index] = routing.decisions[i];
      notes[index] = routing.fallbackReason;
    });
    const groups = new Map<string, { route: CompiledRoute; channelId: string; indexes: number[] }>();
    decisions.forEach((decision, index) => {
      for (const route of decision.routes) {
        for (const channelId of route.channelIds) {
          const key = route.perAlert ? `${route.id}:${channelId}:${index}` : `${route.id}:${channelId}`;
          const group = groups.get(key) ?? { route, channelId, indexes: [] };
          group.indexes.push(index);
          groups.set(key, group);
        }
      }
    });

    const results = await Promise.all(
      [...groups.entries()].map(async ([key, group]) => {
        const message = this.messageFor(payload, group.indexes);
        try {
          // A receipt being stored has keys nobody can hold yet: its first attempts need not wait for the store.
          const delivery = await this.deliveries.deliver(group.channelId, message, { source: 'gateway', idempotencyKey: `${receiptId}:${key}`, sendWhileStoring: stored !== null });
          return { group, delivery, gone: false };
        } catch (err) {
          // A route that still names a deleted channel will never work: record it, do not retry it.
          if (err instanceof NotFoundError) return { group, delivery: null, gone: true };
          this.logger.error({ err, receiptId, channelId: group.channelId }, 'could not hand an alert group to delivery');
          return { group, delivery: null, gone: false };
        }
      }),
    );

    const perAlert = payload.alerts.map(() => ({ deliveries: [] as DeliveryRow[], failedHandOff: false, missingChannels: [] as string[] }));
    for (const { group, delivery, gone } of results) {
      for (const index of group.indexes) {
        if (delivery) perAlert[index].deliveries.push(delivery);
        else if (gone) perAlert[index].missingChannels.push(group.channelId);
        else perAlert[index].failedHandOff = true;
      }
    }
    const updates = payload.alerts.map((alert, index) => {
      const { deliveries, failedHandOff, missingChannels } = perAlert[index];
      const routed = decisions[index].routes.length > 0;
      const onlyMissing = routed && deliveries.length === 0 && !failedHandOff && missingChannels.length > 0;
      const state = held[index]?.state ?? (onlyMissing ? 'failed' : stateOf(deliveries, routed, failedHandOff));
      if (missingChannels.length > 0) notes[index] ??= `route names deleted channel ${missingChannels.join(', ')}`;
      const delivered = deliveries.map((d) => d.deliveredAt).filter((d): d is Date => d !== null);
      return {
        id: recordIds[index],
        state,
        routeNames: decisions[index].routes.map((r) => r.name),
        deliveryIds: deliveries.map((d) => d.id),
        firstDeliveredAt: delivered.length > 0 ? new Date(Math.min(...delivered.map((d) => d.getTime()))) : null,
        alert,
      };
    });
    await stored;
    await this.updateRecords(updates, routedAt, perAlert.some((a) => a.failedHandOff) ? null : receiptId);
    this.countAlerts(updates.map((update) => ({ stage: stageOf(update.state), alert: update.alert })));
    updates.forEach((update, index) => {
      if (update.firstDeliveredAt) this.metrics.gatewayFirstDelivery.observe(this.metrics.alertLabels(update.alert.labels), Math.max(0, update.firstDeliveredAt.getTime() - receivedAt.getTime()) / 1000);
      void this.publish(update.state, update.id, receiptId, update.alert, notes[index] ?? (update.state === 'failed' ? 'no channel accepted the alert' : null));
    });
    // Analysis comes after delivery and off its path: queued in the background, never awaited here.
    const analyses = updates.flatMap((update, index) =>
      update.deliveryIds.length === 0
        ? []
        : [...new Set(decisions[index].routes.map((r) => r.analysisProviderId).filter((id): id is string => id !== null))].map((providerId) => ({
            recordId: update.id,
            providerId,
            alertname: update.alert.labels.alertname ?? '',
            fingerprint: update.alert.fingerprint,
          })),
    );
    if (analyses.length > 0) void this.analysis.requestAfterDelivery(analyses).catch((err) => this.logger.warn({ err, receiptId }, 'could not request analyses'));
  }

  /** A delivery finished after retries: bring the records it served up to date and tell subscribers. */
  async settleRecords(delivery: DeliveryRow): Promise<void> {
    const connection = this.orm.em.getConnection();
    const records: Array<{ id: string; receipt_id: string; delivery_ids: string[] | string; received_at: Date; labels: Record<string, string> | string; status: string; fingerprint: string }> =
      await connection.execute(
        `select "id", "receipt_id", "delivery_ids", "received_at", "labels", "status", "fingerprint" from "alert_record" where "delivery_ids" @> ?::jsonb`,
        [JSON.stringify([delivery.id])],
      );
    for (const record of records) {
      const ids: string[] = typeof record.delivery_ids === 'string' ? JSON.parse(record.delivery_ids) : record.delivery_ids;
      const rows: DeliveryRow[] = (await Promise.all(ids.map((id) => this.deliveries.find(id)))).filter((d): d is DeliveryRow => d !== null);
      const state = stateOf(rows, true, false);
      const delivered = rows.map((d) => d.deliveredAt).filter((d): d is Date => d !== null);
      const first = delivered.length > 0 ? new Date(Math.min(...delivered.map((d) => d.getTime()))) : null;
      await connection.execute(`update "alert_record" set "state" = ?, "first_delivered_at" = coalesce("first_delivered_at", ?) where "id" = ?`, [state, first, record.id]);
      const labels: Record<string, string> = typeof record.labels === 'string' ? JSON.parse(record.labels) : record.labels;
      const alert = { status: record.status, labels, fingerprint: record.fingerprint } as AlertmanagerAlert;
      if (first) this.metrics.gatewayFirstDelivery.observe(this.metrics.alertLabels(alert.labels), Math.max(0, first.getTime() - new Date(record.received_at).getTime()) / 1000);
      this.metrics.gatewayAlerts.inc({ stage: stageOf(state), ...this.metrics.alertLabels(alert.labels) });
      void this.publish(state, record.id, record.receipt_id, alert, state === 'failed' ? delivery.lastError : null);
    }
  }

  /** Finishes receipts that were accepted but never processed (the process stopped in between). */
  async resume(): Promise<number> {
    const rows: Array<{ id: string }> = await RequestContext.create(this.orm.em, () =>
      this.orm.em
        .getConnection()
        .execute(`select "id" from "alert_receipt" where "processed_at" is null and "received_at" < ? order by "received_at" limit 200`, [
          new Date(Date.now() - this.settings.orphanAfterMs),
        ]),
    );
    const orphans = rows.filter(({ id }) => !this.inFlight.has(id));
    for (const { id } of orphans) await RequestContext.create(this.orm.em, () => this.process(id)).catch((err) => this.logger.error({ err, receiptId: id }, 'could not resume a receipt'));
    return orphans.length;
  }

  startSweeper(intervalMs: number): void {
    const sweep = () => void this.resume().catch((err) => this.logger.warn({ err }, 'receipt sweep failed'));
    sweep();
    this.sweeper = setInterval(sweep, intervalMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
    await Promise.allSettled([...this.inFlight.values()]);
  }

  /**
   * Decides which alerts of a receipt are held back: copies of a notification already taken
   * (always), and repeats of a firing alert within the convergence window (behind the flag).
   * A resolved alert always goes out, and ends its alert's convergence window.
   */
  private async holdBack(
    receiptId: string,
    payload: AlertmanagerPayload,
    stored: Promise<void> | null,
    claimed: string[],
  ): Promise<Array<{ state: AlertRecordState; detail: string } | null>> {
    const converging = this.flags.isEnabled('gateway.convergence');
    const group = createHash('sha1').update(payload.groupKey).digest('hex').slice(0, 16);
    const ownerStored = new Map<string, Promise<boolean>>();
    // One round trip for all the receipt's windows of a kind.
    const claimAll = async (keys: string[], windowMs: number): Promise<WindowClaim[]> => {
      const windows = await this.windows.claim(keys, receiptId, windowMs);
      return Promise.all(
        windows.map(async (window, i) => {
          // Windows open before their receipt is stored; one whose receipt never was (its process died
          // before answering, so Alertmanager sent again) belongs to this copy now.
          for (let tries = 0; window.owner !== receiptId && tries < 3; tries += 1) {
            if (!ownerStored.has(window.owner)) ownerStored.set(window.owner, this.receiptStored(window.owner, stored));
            if (await ownerStored.get(window.owner)) return window;
            if (await this.windows.takeOver(keys[i], window.owner, receiptId)) window = { ...window, owner: receiptId, count: 1 };
            // Closed meanwhile (released by its failed receipt, or expired): claimed afresh.
            else [window] = await this.windows.claim([keys[i]], receiptId, windowMs);
          }
          if (window.owner === receiptId) claimed.push(keys[i]);
          return window;
        }),
      );
    };
    const { alerts } = payload;
    const copies = await claimAll(
      alerts.map((a) => `dedupe:${group}:${a.fingerprint}:${a.status}:${a.startsAt}`),
      this.settings.dedupeWindowMs,
    );
    const held: Array<{ state: AlertRecordState; detail: string } | null> = copies.map((copy) =>
      copy.owner === receiptId ? null : { state: 'duplicate', detail: `same notification already taken by receipt ${copy.owner}` },
    );
    if (!converging) return held;
    const taken = alerts.map((_, i) => i).filter((i) => held[i] === null);
    // A resolved alert always goes out, and ends its alert's firing window.
    await this.windows.close(taken.filter((i) => alerts[i].status === 'resolved').map((i) => `converge:${alerts[i].fingerprint}`));
    const firing = taken.filter((i) => alerts[i].status === 'firing');
    const repeats = await claimAll(
      firing.map((i) => `converge:${alerts[i].fingerprint}`),
      this.settings.convergenceWindowMs,
    );
    await Promise.all(
      firing.map(async (index, i) => {
        const repeat = repeats[i];
        if (repeat.owner === receiptId) return;
        const windowKey = `converge:${alerts[index].fingerprint}`;
        // Booked in the background: routing never waits for the queue (or for Redis behind it).
        if (repeat.count === 2) void this.scheduleSummary(windowKey, repeat.owner, repeat.expiresAt, toAlertView(alerts[index]));
        held[index] = { state: 'converged', detail: `repeat ${repeat.count - 1} within ${Math.round(this.settings.convergenceWindowMs / 1000)} s of the first notification` };
      }),
    );
    return held;
  }

  /**
   * Whether another receipt is on disk (so what it holds will be delivered). Asked once this
   * receipt is stored itself; a receipt still being stored elsewhere gets a grace period.
   */
  private async receiptStored(receiptId: string, ownStore: Promise<void> | null): Promise<boolean> {
    await ownStore;
    for (const wait of [0, OWNER_STORE_GRACE_MS]) {
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      const rows: unknown[] = await this.orm.em.getConnection().execute(`select 1 from "alert_receipt" where "id" = ?`, [receiptId]);
      if (rows.length > 0) return true;
    }
    return false;
  }

  /** The first folded repeat books one summary for the window, sent just before it closes. */
  private async scheduleSummary(windowKey: string, owner: string, expiresAt: number, alert: AlertView): Promise<void> {
    const channelIds = (await this.routes.decideAll([alert.labels])).decisions[0].channelIds;
    if (channelIds.length === 0) return;
    const jobId = `convergence-summary_${createHash('sha1').update(`${windowKey}|${owner}`).digest('hex')}`;
    const delayMs = Math.max(0, expiresAt - Date.now() - 250);
    await this.queue
      .enqueue('gateway.convergence-summary', { windowKey, owner, channelIds, alert, windowMs: this.settings.convergenceWindowMs }, { jobId, delayMs, attempts: 3 })
      .catch((err) => this.logger.warn({ err, windowKey }, 'could not schedule a convergence summary'));
  }

  registerProcessor(): void {
    this.queue.process('gateway.convergence-summary', async ({ data }) => {
      const window = await this.windows.peek(data.windowKey);
      // Closed early by a resolution (which went out), or already a new window: nothing to summarise.
      if (!window || window.owner !== data.owner || window.count < 2) return;
      const repeats = window.count - 1;
      const minutes = Math.max(1, Math.round(data.windowMs / 60_000));
      const alert: AlertView = {
        ...data.alert,
        annotations: {
          ...data.alert.annotations,
          alertagent_folded_repeats: String(repeats),
          alertagent_convergence: `repeated ${repeats} more time${repeats === 1 ? '' : 's'} within ${minutes} min of the first notification`,
        },
      };
      const message: ChannelMessage = {
        kind: 'alerts',
        status: 'firing',
        alerts: [alert],
        groupLabels: { alertname: alert.labels.alertname ?? '' },
        commonLabels: alert.labels,
        commonAnnotations: alert.annotations,
      };
      await RequestContext.create(this.orm.em, () =>
        Promise.all(
          data.channelIds.map((channelId) =>
            this.deliveries.deliver(channelId, message, { source: 'convergence', idempotencyKey: `convergence:${data.owner}:${data.windowKey}:${channelId}` }).catch((err) =>
              this.logger.warn({ err, channelId }, 'could not send a convergence summary'),
            ),
          ),
        ),
      );
    });
  }

  private runInBackground(receiptId: string, known: JustAccepted): void {
    const run = RequestContext.create(this.orm.em, () => this.process(receiptId, known))
      .catch((err) => this.logger.error({ err, receiptId }, 'processing a receipt failed; the sweeper will retry it'))
      .finally(() => {
        this.inFlight.delete(receiptId);
        this.intake.release(known.payload.alerts.length);
      });
    this.inFlight.set(receiptId, run);
  }

  private messageFor(payload: AlertmanagerPayload, indexes: number[]): ChannelMessage {
    const alerts = indexes.map((i) => toAlertView(payload.alerts[i]));
    return {
      kind: 'alerts',
      status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
      alerts,
      groupLabels: payload.groupLabels,
      commonLabels: payload.commonLabels,
      commonAnnotations: payload.commonAnnotations,
      externalURL: payload.externalURL || undefined,
      receiver: payload.receiver,
      groupKey: payload.groupKey,
      truncatedAlerts: payload.truncatedAlerts,
    };
  }

  /** Writes the records' outcome and, with `finishedReceiptId`, marks the receipt processed in the same statement. */
  private async updateRecords(updates: RecordUpdate[], routedAt: Date, finishedReceiptId: string | null): Promise<void> {
    if (updates.length <= GROUP_COMMIT_MAX_ALERTS) {
      await this.outcomeWriter.submit({ updates, routedAt, finishedReceiptId });
      return;
    }
    for (let start = 0; start < updates.length; start += RECORD_INSERT_BATCH) {
      const last = start + RECORD_INSERT_BATCH >= updates.length;
      await this.writeOutcomes([{ updates: updates.slice(start, start + RECORD_INSERT_BATCH), routedAt, finishedReceiptId: last ? finishedReceiptId : null }]);
    }
  }

  /** Several receipts' outcomes in one statement (group commit, as for accepts). */
  private async writeOutcomes(items: ReceiptOutcome[]): Promise<void[]> {
    const finished = items.map((i) => i.finishedReceiptId).filter((id): id is string => id !== null);
    const rows = items.flatMap((item) => item.updates.map((u) => ({ ...u, routedAt: item.routedAt })));
    const done = finished.length > 0 ? `with "done" as (update "alert_receipt" set "processed_at" = ? where "id" in (${finished.map(() => '?').join(', ')})) ` : '';
    await runBound(
      this.orm.em,
      // A record that has settled is never taken back to routed by a second pass over its receipt.
      `${done}update "alert_record" as r set "state" = case when r."state" in ('delivered', 'partially_delivered', 'failed') and v.state in ('routed', 'received') then r."state" else v.state end,
         "route_names" = v.route_names, "delivery_ids" = v.delivery_ids,
         "first_delivered_at" = coalesce(v.first_delivered_at, r."first_delivered_at"), "routed_at" = v.routed_at
        from (values ${rows.map(() => '(?::uuid, ?, ?::jsonb, ?::jsonb, ?::timestamptz, ?::timestamptz)').join(', ')})
          as v(id, state, route_names, delivery_ids, first_delivered_at, routed_at) where r."id" = v.id`,
      [
        ...(done ? [new Date(), ...finished] : []),
        ...rows.flatMap((u) => [u.id, u.state, JSON.stringify(u.routeNames), JSON.stringify(u.deliveryIds), u.firstDeliveredAt, u.routedAt]),
      ],
    );
    return items.map(() => undefined);
  }

  /** One counter increment per stage, cluster and severity, however many alerts share them. */
  private countAlerts(counted: Array<{ stage: string; alert: AlertmanagerAlert }>): void {
    const totals = new Map<string, { labels: { stage: string; cluster: string; severity: string }; n: number }>();
    for (const { stage, alert } of counted) {
      const labels = { stage, ...this.metrics.alertLabels(alert.labels) };
      const key = `${labels.stage}\u0000${labels.cluster}\u0000${labels.severity}`;
      const total = totals.get(key);
      if (total) total.n += 1;
      else totals.set(key, { labels, n: 1 });
    }
    for (const { labels, n } of totals.values()) this.metrics.gatewayAlerts.inc(labels, n);
  }

  private async publish(state: AlertRecordState, recordId: string, receiptId: string, alert: AlertmanagerAlert, detail: string | null): Promise<void> {
    const delivered = state === 'delivered' || state === 'partially_delivered';
    const type: GatewayEvent['type'] = state === 'received' ? 'received' : delivered
      ? alert.status === 'resolved'
        ? 'resolved'
        : 'delivered'
      : state === 'failed' || state === 'unrouted' || state === 'duplicate' || state === 'converged'
        ? state
        : 'routed';
    try {
      await this.events.publish('gateway.event', {
        type,
        recordId,
        receiptId,
        fingerprint: alert.fingerprint,
        alertname: alert.labels.alertname ?? '',
        severity: alert.labels.severity ?? null,
        cluster: alert.labels.cluster ?? null,
        status: alert.status,
        at: new Date().toISOString(),
        detail,
      });
    } catch (err) {
      this.logger.warn({ err }, 'could not publish a gateway event');
    }
  }
}


function stageOf(state: AlertRecordState): string {
  return state === 'partially_delivered' ? 'delivered' : state;
}

/** A record's state from its deliveries' first attempts; retries still under way read as routed. */
function stateOf(deliveries: DeliveryRow[], routed: boolean, failedHandOff: boolean): AlertRecordState {
  if (!routed) return 'unrouted';
  if (deliveries.length === 0) return failedHandOff ? 'received' : 'unrouted';
  const delivered = deliveries.filter((d) => d.status === 'delivered').length;
  if (delivered === deliveries.length && !failedHandOff) return 'delivered';
  if (delivered > 0) return 'partially_delivered';
  if (deliveries.every((d) => d.status === 'failed')) return 'failed';
  return 'routed';
}
