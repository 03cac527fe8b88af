import type { MikroORM } from '@mikro-orm/core';
import { NotFoundError } from '../../../errors';
import type { DeliveryService } from '../../channels/delivery.service';
import type { AlertView, ChannelMessage } from '../../channels/message';
import type { FlagResolver } from '../../flags/flag-resolver';
import type { Logger } from '../../../shared/logger';
import type { JobQueue } from '../../queue/job-queue';
import type { IncidentNotifier } from '../../incidents/incident-notifier';
import type { IncidentRepository } from '../../incidents/incident.repository';
import type { FlapSettings, FlapStore } from '../flap-store';
import type { RouteService } from '../route.service';
import { toAlertView, type Hold } from '../record-state';
import { stillTaken, type HoldStage, type ReceiptInHand } from './receipt';

const SETTLE_JOB = 'gateway.flap-settle';

export interface FlapStageDeps {
  orm: MikroORM;
  flags: FlagResolver;
  store: FlapStore;
  queue: JobQueue;
  routes: Pick<RouteService, 'decideAll'>;
  deliveries: Pick<DeliveryService, 'deliver'>;
  /** Incidents holding a settled alert learn how it settled (flag gateway.grouping). */
  incidents: Pick<IncidentRepository, 'settledFlapping'>;
  incidentNotifier: Pick<IncidentNotifier, 'schedule'>;
  logger: Pick<Logger, 'warn'>;
  settings: () => FlapSettings;
}

const minutes = (ms: number) => `${Math.max(1, Math.round(ms / 60_000))} min`;

/**
 * Flap damping (flag gateway.advanced-convergence): an alert that changes between firing and
 * resolved `changes` times within the window is flapping. The change that makes it so goes out
 * once, marked flapping; later changes are held as `flapping` until it has not changed for the
 * quiet time, when one summary tells how it settled. State is shared by every replica (Redis).
 */
export class FlapStage implements HoldStage {
  readonly name = 'flapping';

  constructor(private readonly deps: FlapStageDeps) {}

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    const { flags, store } = this.deps;
    if (!flags.isEnabled('gateway.advanced-convergence', receipt.flagContext)) return;
    const settings = this.deps.settings();
    const { alerts } = receipt.payload;
    const now = Date.now();
    await Promise.all(
      stillTaken(held).map(async (index) => {
        const alert = alerts[index];
        const seen = await store.observe(alert.fingerprint, alert.status, JSON.stringify(toAlertView(alert)), now, settings);
        if (!seen.flapping) return;
        void this.bookSettle(alert.fingerprint, seen.changedAt, settings.quietMs);
        if (seen.becameFlapping) {
          receipt.annotate[index] = {
            ...receipt.annotate[index],
            alertagent_flapping: `changed ${seen.changes} times in ${minutes(settings.windowMs)}; further changes are held until it has been steady for ${minutes(settings.quietMs)}, then summarised`,
          };
          return;
        }
        held[index] = {
          state: 'flapping',
          detail: `flapping: ${seen.changes} changes within ${minutes(settings.windowMs)}; summarised once it has been steady for ${minutes(settings.quietMs)}`,
        };
      }),
    );
  }

  /** One job per change: each change moves the moment the alert can have settled. */
  private async bookSettle(fingerprint: string, changedAt: number, quietMs: number): Promise<void> {
    await this.deps.queue
      .enqueue(
        SETTLE_JOB,
        { fingerprint },
        { jobId: `flap-settle_${fingerprint}_${changedAt}`, delayMs: Math.max(0, changedAt + quietMs - Date.now()) + 50, attempts: 3 },
      )
      .catch((err) => this.deps.logger.warn({ err, fingerprint }, 'could not book a flap summary'));
  }

  registerProcessor(): void {
    this.deps.queue.process(SETTLE_JOB, ({ data }) => this.settle(data.fingerprint));
  }

  /** Summarises a flapping alert that has settled: by its routes, once. */
  async settle(fingerprint: string): Promise<void> {
    const { store, routes, deliveries, logger } = this.deps;
    const { quietMs } = this.deps.settings();
    const settled = await store.settle(fingerprint, Date.now(), quietMs);
    if (!settled) return;
    const last = JSON.parse(settled.alert) as AlertView;
    const alert: AlertView = {
      ...last,
      status: settled.status,
      annotations: {
        ...last.annotations,
        alertagent_flapping_settled: `settled as ${settled.status} after ${settled.changes} changes; steady for ${minutes(quietMs)}`,
      },
    };
    const message: ChannelMessage = {
      kind: 'alerts',
      status: settled.status,
      alerts: [alert],
      groupLabels: { alertname: alert.labels.alertname ?? '' },
      commonLabels: alert.labels,
      commonAnnotations: {},
      groupKey: `{}:{alertagent_flapping="${fingerprint}"}`,
      receiver: 'alertagent',
    };
    const channelIds = (await routes.decideAll([alert.labels])).decisions[0]?.channelIds ?? [];
    const settledAt = Date.now();
    await Promise.all(
      channelIds.map((channelId) =>
        deliveries
          .deliver(channelId, message, { source: 'flapping', idempotencyKey: `flap-settle:${fingerprint}:${settledAt}:${channelId}` })
          .catch((err) => {
            if (!(err instanceof NotFoundError)) logger.warn({ err, channelId, fingerprint }, 'could not send a flap summary');
          }),
      ),
    );
    // Its incident last heard of it at the change that made it flapping: without this, an incident
    // would read it as firing after it settled resolved, and close only when its window ran out.
    try {
      const due = await this.deps.incidents.settledFlapping(fingerprint, settled.status, new Date(settledAt));
      await Promise.all(due.map((pending) => this.deps.incidentNotifier.schedule(pending)));
    } catch (err) {
      logger.warn({ err, fingerprint }, "could not tell a flapping alert's incident how it settled");
    }
  }
}
