import type { MikroORM } from '@mikro-orm/core';
import { NotFoundError } from '../../errors';
import type { DeliveryService } from '../channels/delivery.service';
import type { AlertView, ChannelMessage } from '../channels/message';
import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../shared/periodic-task';
import type { EventBus } from '../pubsub/event-bus';
import type { IncidentEvent } from '../pubsub/event-map';
import type { JobQueue } from '../queue/job-queue';
import type { IncidentAlertRow, IncidentRepository, IncidentRow, NotificationRow, PendingUpdate } from './incident.repository';

const JOB = 'gateway.incident-update';
/** A pending update this late past its due time had its job lost (a crash, the in-process queue): the sweeper books it again. */
const OVERDUE_SLACK_MS = 5_000;
/**
 * A notification booked this long ago and not handed to delivery was cut off by a crash. Sending
 * one that is in fact still on its way costs nothing: the delivery's idempotency key answers it.
 */
const UNSENT_AFTER_MS = 5_000;

function viewOf(alert: IncidentAlertRow): AlertView {
  return {
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt.toISOString(),
    endsAt: alert.resolvedAt?.toISOString(),
    fingerprint: alert.fingerprint,
  };
}

/**
 * A policy's resolve hold: once every alert of an incident has resolved, its resolution is told
 * only when none has been reported firing again for `holdSeconds` (an alert that flaps then costs
 * no resolution and reopening per flap). When it may be told, in ms; null when it need not wait.
 */
export function resolutionHeldUntil(
  holdSeconds: number,
  alerts: ReadonlyArray<{ status: string; resolvedAt: number | null }>,
  now: number,
): number | null {
  if (holdSeconds <= 0 || alerts.length === 0 || alerts.some((a) => a.status === 'firing')) return null;
  const lastResolved = alerts.reduce((latest, a) => Math.max(latest, a.resolvedAt ?? 0), 0);
  const until = lastResolved + holdSeconds * 1000;
  return until > now ? until : null;
}

/** What changed in an incident since its last notification, and the notification that tells it. */
export function incidentNotification(
  incident: IncidentRow,
  alerts: IncidentAlertRow[],
  now: Date,
): {
  kind: 'update' | 'resolved';
  sequence: number;
  added: number;
  resolved: number;
  firing: number;
  message: ChannelMessage;
} | null {
  const changed = alerts.filter((a) => a.notifiedStatus !== a.status);
  const firing = alerts.filter((a) => a.status === 'firing').length;
  const quiet = now.getTime() - incident.lastAlertAt.getTime() > incident.windowSeconds * 1000;
  const kind = firing === 0 || quiet ? 'resolved' : 'update';
  // Some alerts resolving while others still fire is not worth a message of its own: it is told
  // with the next update (something new firing) or with the resolution.
  if (kind === 'update' && !changed.some((a) => a.status === 'firing')) return null;
  const added = changed.filter((a) => a.notifiedStatus === null).length;
  const resolved = changed.filter((a) => a.status === 'resolved').length;
  const sequence = incident.notificationCount + 1;
  // A quiet incident closes with what still reads as firing, so the channel sees what it was.
  const shown = changed.length > 0 ? changed : alerts.filter((a) => a.status === 'firing');
  // Everything resolved and the channel was last told so: an alert that fired again and resolved
  // within one update interval changes nothing it was told (Alertmanager does not tell it either).
  if (shown.length === 0) return null;
  const views = shown.map(viewOf);
  const common = Object.fromEntries(Object.entries(incident.labels));
  return {
    kind,
    sequence,
    added,
    resolved,
    firing,
    message: {
      kind: 'alerts',
      status: kind === 'resolved' ? 'resolved' : 'firing',
      alerts: views,
      groupLabels: incident.labels,
      commonLabels: { ...common, alertname: shown[0]?.alertname ?? incident.title },
      commonAnnotations:
        quiet && firing > 0 ? { alertagent_incident_closed: `no alert activity for ${Math.round(incident.windowSeconds / 60)} min` } : {},
      receiver: incident.receiver,
      groupKey: `{}:{alertagent_incident="${incident.id}"}`,
      incident: {
        id: incident.id,
        title: incident.title,
        notice: kind,
        sequence,
        openedAt: incident.openedAt.toISOString(),
        firing: kind === 'resolved' ? 0 : firing,
        total: alerts.length,
        added,
        resolved,
      },
    },
  };
}

export interface IncidentNotifierDeps {
  orm: MikroORM;
  repository: IncidentRepository;
  queue: JobQueue;
  deliveries: Pick<DeliveryService, 'deliver'>;
  events: EventBus;
  logger: Logger;
}

/**
 * Sends incidents' updates and resolutions: at most one per interval per incident and channel,
 * booked in the database before it is sent (so a crash neither loses nor repeats one) and sent
 * with an idempotency key per incident, notification and channel.
 */
export class IncidentNotifier {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: IncidentNotifierDeps) {
    this.sweeper = new PeriodicTask('incident', () => this.sweep(), this.deps.logger, this.deps.orm);
  }

  /**
   * Books the job that sends a pending update once it is due. Alerts folding into the same
   * pending update book one job; a job that ran early, and the sweeper after a lost or stalled
   * job (a crash), book a fresh one (`again`): a job id still held by a finished or stalled job
   * would be ignored by the queue.
   */
  async schedule(pending: PendingUpdate, again = false): Promise<void> {
    const jobId = `incident-update_${pending.incidentId}_${pending.pendingSince.getTime()}${again ? `_${Date.now()}` : ''}`;
    await this.deps.queue.enqueue(
      JOB,
      { incidentId: pending.incidentId },
      { jobId, delayMs: Math.max(0, pending.dueAt.getTime() - Date.now()), attempts: 5 },
    );
  }

  registerProcessor(): void {
    this.deps.queue.process(JOB, ({ data }) => this.notify(data.incidentId));
  }

  /** Tells what is new in an incident, if anything is and its interval allows. */
  async notify(incidentId: string): Promise<void> {
    const now = new Date();
    const booked = await this.deps.repository.inTransaction(async (run) => {
      const locked = await this.deps.repository.lockForNotification(run, incidentId);
      const pendingSince = locked?.incident.updatePendingSince;
      if (!locked || !pendingSince) return null;
      const { incident, alerts } = locked;
      const dueAt = (incident.lastNotifiedAt ?? incident.openedAt).getTime() + incident.updateIntervalSeconds * 1000;
      if (dueAt > now.getTime() + 1_000) return { early: { incidentId, pendingSince, dueAt: new Date(dueAt) } as PendingUpdate };
      const held = resolutionHeldUntil(
        incident.resolveHoldSeconds,
        alerts.map((a) => ({ status: a.status, resolvedAt: a.resolvedAt?.getTime() ?? null })),
        now.getTime() + 1_000,
      );
      if (held !== null) return { early: { incidentId, pendingSince, dueAt: new Date(held) } as PendingUpdate };
      const notification = incidentNotification(incident, alerts, now);
      if (!notification) {
        if (alerts.some((a) => a.status === 'firing')) {
          await run(`update "incident" set "update_pending_since" = null where "id" = ?`, [incidentId]);
          return null;
        }
        await this.deps.repository.closeUntold(run, incidentId, now);
        return { incident, kind: 'resolved' as const, rows: [] };
      }
      return { incident, kind: notification.kind, rows: await this.deps.repository.bookNotification(run, incident, notification, now) };
    });
    if (!booked) return;
    if ('early' in booked) {
      if (booked.early) await this.schedule(booked.early, true);
      return;
    }
    await Promise.all(booked.rows.map((row) => this.send(row)));
    const { incident, kind } = booked;
    const resolved = kind === 'resolved';
    this.announce({
      incidentId: incident.id,
      title: incident.title,
      change: resolved ? 'resolved' : 'notified',
      state: resolved ? 'resolved' : 'updated',
      alerts: booked.rows[0]?.added ?? 0,
      correlationKey: incident.correlationKey,
      reopenUntil: resolved ? new Date(now.getTime() + incident.reopenGraceSeconds * 1000).toISOString() : null,
    });
  }

  /** Hands one booked notification to delivery and records that it was. */
  async send(row: NotificationRow): Promise<void> {
    try {
      const delivery = await this.deps.deliveries.deliver(row.channelId, row.message, {
        source: 'incident',
        idempotencyKey: `incident:${row.incidentId}:${row.sequence}:${row.channelId}`,
      });
      await this.deps.repository.markNotificationSent(row.id, { deliveryId: delivery.id });
    } catch (err) {
      if (err instanceof NotFoundError)
        await this.deps.repository.markNotificationSent(row.id, { error: `channel ${row.channelId} no longer exists` });
      else
        this.deps.logger.warn(
          { err, incidentId: row.incidentId, channelId: row.channelId },
          'could not hand an incident notification to delivery; the sweeper will',
        );
    }
  }

  announce(event: Omit<IncidentEvent, 'at'>): void {
    void this.deps.events
      .publish('incident.changed', { ...event, at: new Date().toISOString() })
      .catch((err) => this.deps.logger.warn({ err }, 'could not publish an incident event'));
  }

  /** Books again what a crash or a lost job left: overdue updates, quiet incidents, notifications never handed to delivery. */
  async sweep(): Promise<void> {
    const now = new Date();
    for (const pending of await this.deps.repository.overdue(now, OVERDUE_SLACK_MS, 100)) await this.schedule(pending, true);
    for (const row of await this.deps.repository.unsentNotifications(new Date(now.getTime() - UNSENT_AFTER_MS), 100)) await this.send(row);
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs);
  }

  stop(): void {
    this.sweeper.stop();
  }
}
