import { createHash } from 'node:crypto';
import type { MikroORM } from '@mikro-orm/core';
import type { DeliveryService } from '../../channels/delivery.service';
import type { AlertView, ChannelMessage } from '../../channels/message';
import type { FlagResolver } from '../../flags/flag-resolver';
import type { Logger } from '../../../shared/logger';
import type { JobQueue } from '../../queue/job-queue';
import type { RouteService } from '../route.service';
import { toAlertView, type Hold } from '../record-state';
import type { WindowStore } from '../window-store';
import { stillTaken, type HoldStage, type ReceiptInHand } from './receipt';
import type { WindowClaims } from './window-claims';

export interface ConvergenceDeps {
  orm: MikroORM;
  claims: WindowClaims;
  windows: WindowStore;
  flags: FlagResolver;
  routes: Pick<RouteService, 'decideAll'>;
  queue: JobQueue;
  deliveries: DeliveryService;
  logger: Logger;
  windowMs: () => number;
}

const SUMMARY_JOB = 'gateway.convergence-summary';
/**
 * Windows last this much longer than configured. Alertmanager sends a group's updates exactly one
 * group_interval apart, so with a window equal to it whether a repeat folds would depend on a
 * few milliseconds; with the margin it folds, and the summary (booked just before the window
 * closes) still counts it.
 */
export const CONVERGENCE_EDGE_MARGIN_MS = 5_000;

/**
 * Basic convergence (flag `gateway.convergence`): repeats of a firing alert (same fingerprint)
 * within the window after its first notification are held; the first folded repeat books one
 * summary, sent just before the window closes. A resolved alert always goes out and ends its
 * alert's window.
 */
export class ConvergenceStage implements HoldStage {
  readonly name = 'convergence';

  constructor(private readonly deps: ConvergenceDeps) {}

  async hold(receipt: ReceiptInHand, held: Array<Hold | null>): Promise<void> {
    const { flags, windows, claims, windowMs } = this.deps;
    if (!flags.isEnabled('gateway.convergence', receipt.flagContext)) return;
    const { alerts } = receipt.payload;
    const taken = stillTaken(held);
    await windows.close(taken.filter((i) => alerts[i].status === 'resolved').map((i) => `converge:${alerts[i].fingerprint}`));
    const firing = taken.filter((i) => alerts[i].status === 'firing');
    const repeats = await claims.claim(
      receipt,
      firing.map((i) => `converge:${alerts[i].fingerprint}`),
      windowMs() + CONVERGENCE_EDGE_MARGIN_MS,
    );
    firing.forEach((index, i) => {
      const repeat = repeats[i];
      if (repeat.owner === receipt.receiptId) return;
      const windowKey = `converge:${alerts[index].fingerprint}`;
      // Booked in the background: routing never waits for the queue (or for Redis behind it).
      if (repeat.count === 2)
        void this.scheduleSummary(windowKey, repeat.owner, repeat.expiresAt, toAlertView(alerts[index]), receipt.payload);
      held[index] = {
        state: 'converged',
        detail: `repeat ${repeat.count - 1} within ${Math.round(windowMs() / 1000)} s of the first notification`,
      };
    });
  }

  private async scheduleSummary(
    windowKey: string,
    owner: string,
    expiresAt: number,
    alert: AlertView,
    from: { receiver: string; groupKey: string },
  ): Promise<void> {
    const { routes, queue, logger, windowMs } = this.deps;
    const channelIds = (await routes.decideAll([alert.labels])).decisions[0].channelIds;
    if (channelIds.length === 0) return;
    const jobId = `convergence-summary_${createHash('sha1').update(`${windowKey}|${owner}`).digest('hex')}`;
    const delayMs = Math.max(0, expiresAt - Date.now() - 250);
    await queue
      .enqueue(
        SUMMARY_JOB,
        { windowKey, owner, channelIds, alert, windowMs: windowMs(), receiver: from.receiver, groupKey: from.groupKey },
        { jobId, delayMs, attempts: 3 },
      )
      .catch((err) => logger.warn({ err, windowKey }, 'could not schedule a convergence summary'));
  }

  registerProcessor(): void {
    const { queue, windows, deliveries, logger } = this.deps;
    queue.process(SUMMARY_JOB, async ({ data }) => {
      const window = await windows.peek(data.windowKey);
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
        // The group it was notified in, so receivers file the summary with it (jobs booked before this field existed have none).
        receiver: data.receiver,
        groupKey: data.groupKey,
      };
      await Promise.all(
        data.channelIds.map((channelId) =>
          deliveries
            .deliver(channelId, message, {
              source: 'convergence',
              idempotencyKey: `convergence:${data.owner}:${data.windowKey}:${channelId}`,
            })
            .catch((err) => logger.warn({ err, channelId }, 'could not send a convergence summary')),
        ),
      );
    });
  }
}
