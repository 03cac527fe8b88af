import type { MikroORM } from '@mikro-orm/core';
import { jsonColumn } from '../storage/bound-sql';
import type { DeliveryService } from '../channels/delivery.service';
import type { AlertView } from '../channels/message';
import type { RouteService } from '../gateway/route.service';
import { releasedTogether, sendByRoutes } from '../gateway/send-by-routes';
import type { Logger } from '../../shared/logger';
import { PeriodicTask } from '../shared/periodic-task';

/** An alert a window holds back. */
export interface SuppressedAlert {
  windowId: string;
  fingerprint: string;
  occurrenceEnd: Date;
  status: string;
  alert: AlertView;
  receiver: string;
  groupKey: string;
}

interface Released extends SuppressedAlert {
  releasedAt: Date;
}

/** A release marked this long ago and still here was cut off by a crash: sent again (same idempotency keys). */
const UNSENT_AFTER_MS = 5_000;

function toReleased(r: Record<string, unknown>): Released {
  return {
    windowId: r.window_id as string,
    fingerprint: r.fingerprint as string,
    occurrenceEnd: new Date(r.occurrence_end as string),
    status: r.status as string,
    alert: jsonColumn(r.alert),
    receiver: r.receiver as string,
    groupKey: r.group_key as string,
    releasedAt: new Date(r.released_at as string),
  };
}

export interface SuppressedAlertsDeps {
  orm: MikroORM;
  routes: Pick<RouteService, 'decideAll'>;
  deliveries: Pick<DeliveryService, 'deliver'>;
  logger: Logger;
}

/**
 * What maintenance windows hold back, in PostgreSQL (every replica, across restarts): each alert
 * as last seen. When its window closes (or is deleted or disabled), what still fires is sent by
 * its routes; what resolved meanwhile is dropped, never sent, like its firing.
 */
export class SuppressedAlerts {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: SuppressedAlertsDeps) {
    this.sweeper = new PeriodicTask('maintenance', () => this.sweep(), this.deps.logger, this.deps.orm);
  }

  async record(alerts: SuppressedAlert[], now: Date): Promise<void> {
    if (alerts.length === 0) return;
    await this.deps.orm.em.getConnection().execute(
      `insert into "suppressed_alert" ("window_id", "fingerprint", "occurrence_end", "status", "alert", "receiver", "group_key", "suppressed_at")
       values ${alerts.map(() => '(?, ?, ?, ?, ?::jsonb, ?, ?, ?)').join(', ')}
       on conflict ("window_id", "fingerprint") do update set "occurrence_end" = excluded."occurrence_end", "status" = excluded."status",
         "alert" = excluded."alert", "receiver" = excluded."receiver", "group_key" = excluded."group_key", "released_at" = null`,
      alerts.flatMap((a) => [a.windowId, a.fingerprint, a.occurrenceEnd, a.status, JSON.stringify(a.alert), a.receiver, a.groupKey, now]),
    );
  }

  /** Releases what closed windows hold, sends what still fires, and forgets it. */
  async sweep(): Promise<void> {
    const now = new Date();
    const connection = this.deps.orm.em.getConnection();
    const closed: Released[] = (
      await connection.execute(
        `update "suppressed_alert" s set "released_at" = ? where s."released_at" is null
           and (s."occurrence_end" <= ? or not exists (select 1 from "maintenance_window" w where w."id" = s."window_id" and w."enabled"))
         returning s.*`,
        [now, now],
      )
    ).map((r: Record<string, unknown>) => toReleased(r));
    const unsent: Released[] = (
      await connection.execute(`select * from "suppressed_alert" where "released_at" is not null and "released_at" < ? limit 500`, [
        new Date(now.getTime() - UNSENT_AFTER_MS),
      ])
    ).map((r: Record<string, unknown>) => toReleased(r));
    for (const batch of [closed, ...releasedTogether(unsent)]) {
      const firing = batch.filter((r) => r.status === 'firing');
      const held = firing.map((r) => ({
        alert: r.alert,
        receiver: r.receiver,
        groupKey: r.groupKey,
        identity: `${r.windowId}:${r.fingerprint}@${r.releasedAt.getTime()}`,
      }));
      const note = { alertagent_maintenance_ended: 'suppressed during a maintenance window; still firing when it closed' };
      if (!(await sendByRoutes(this.deps, held, 'maintenance', note))) continue;
      for (const r of batch) {
        await connection.execute(`delete from "suppressed_alert" where "window_id" = ? and "fingerprint" = ? and "released_at" = ?`, [
          r.windowId,
          r.fingerprint,
          r.releasedAt,
        ]);
      }
    }
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs);
  }

  stop(): void {
    this.sweeper.stop();
  }
}
