import { NotFoundError } from '../../errors';
import type { DeliveryService } from '../channels/delivery.service';
import type { ChannelMessage } from '../channels/message';
import { commonLabels } from '../gateway/send-by-routes';
import type { Logger } from '../../shared/logger';
import type { JobQueue } from '../queue/job-queue';
import { PeriodicTask } from '../shared/periodic-task';
import type { ReleasedBatch, RouteWindowRepository } from './route-window.repository';

const JOB = 'gateway.route-window-flush';
/** A window's message this late past its due time had its job lost: the sweeper sends it. */
const OVERDUE_SLACK_MS = 5_000;
/** A batch taken this long ago and not marked handed was cut off by a crash: sent again (same idempotency key). */
const UNHANDED_AFTER_MS = 30_000;
/** Longer than the longest repeat interval (7 days): what a window knows of an alert after that no longer matters. */
const FORGET_AFTER_MS = 8 * 86_400_000;

export interface RouteWindowFlusherDeps {
  repository: RouteWindowRepository;
  queue: JobQueue;
  deliveries: Pick<DeliveryService, 'deliver'>;
  logger: Pick<Logger, 'warn'>;
}

/**
 * Sends route windows' messages when they are due (a job per window tick; the sweeper for lost
 * jobs and for batches a crash cut off). A window's message goes out even when the flag has been
 * switched off meanwhile, or its route deleted: what it holds is never lost.
 */
export class RouteWindowFlusher {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: RouteWindowFlusherDeps) {
    this.sweeper = new PeriodicTask('route window', () => this.sweep(), deps.logger);
  }

  /** Books the window's tick; a failure is left to the sweeper. */
  async book(routeId: string, channelId: string, dueAt: number): Promise<void> {
    await this.deps.queue
      .enqueue(
        JOB,
        { routeId, channelId },
        { jobId: `route-window_${routeId}_${channelId}_${dueAt}`, delayMs: Math.max(0, dueAt - Date.now()), attempts: 5 },
      )
      .catch((err) =>
        this.deps.logger.warn({ err, routeId, channelId }, 'could not book a route window message; the sweeper will send it'),
      );
  }

  registerProcessor(): void {
    this.deps.queue.process(JOB, ({ data }) => this.flush(data.routeId, data.channelId));
  }

  /** Sends what a window holds, if its tick is due. */
  async flush(routeId: string, channelId: string): Promise<void> {
    const taken = await this.deps.repository.take(routeId, channelId, new Date());
    if (!taken) return;
    if ('early' in taken) return this.book(routeId, channelId, taken.early.getTime());
    await this.send(taken);
  }

  private async send(batch: ReleasedBatch): Promise<void> {
    if (batch.alerts.length > 0) {
      const alerts = batch.alerts.map((a) => a.alert);
      const message: ChannelMessage = {
        kind: 'alerts',
        status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
        alerts,
        groupLabels: {},
        commonLabels: commonLabels(alerts),
        commonAnnotations: { alertagent_route_window: `gathered by route "${batch.routeName}" for its next message` },
        receiver: batch.alerts[0].receiver,
        groupKey: `{}:{alertagent_route="${batch.routeName}"}`,
      };
      try {
        await this.deps.deliveries.deliver(batch.channelId, message, {
          source: 'route-window',
          idempotencyKey: `route-window:${batch.routeId}:${batch.channelId}:${batch.releasedAt.getTime()}`,
        });
      } catch (err) {
        if (!(err instanceof NotFoundError)) {
          this.deps.logger.warn(
            { err, routeId: batch.routeId, channelId: batch.channelId },
            'could not hand a route window message to delivery; the sweeper will',
          );
          return;
        }
      }
    }
    await this.deps.repository.handed(batch);
  }

  async sweep(): Promise<void> {
    const now = new Date();
    for (const { routeId, channelId } of await this.deps.repository.overdue(now, OVERDUE_SLACK_MS, 100))
      await this.flush(routeId, channelId);
    for (const batch of await this.deps.repository.unhanded(now, UNHANDED_AFTER_MS)) await this.send(batch);
    await this.deps.repository.forget(new Date(now.getTime() - FORGET_AFTER_MS));
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs);
  }

  stop(): void {
    this.sweeper.stop();
  }
}
