import type { MikroORM } from '@mikro-orm/core';
import type { AlertView } from '../channels/message';
import type { RouteWindowSettings } from '../gateway/route-table';
import { inTransaction, jsonColumn } from '../storage/bound-sql';
import { decideWindow, type KnownAlert, type WindowVerdict } from './route-window-rules';

/** An alert a route sends to a channel. */
export interface WindowCandidate {
  fingerprint: string;
  status: string;
  alert: AlertView;
  receiver: string;
  groupKey: string;
}

/** Alerts a window took for one message, in the order they came. */
export interface ReleasedBatch {
  routeId: string;
  channelId: string;
  routeName: string;
  releasedAt: Date;
  alerts: Array<{ alert: AlertView; receiver: string; groupKey: string }>;
}

const time = (value: unknown): number | null => (value ? new Date(value as string).getTime() : null);

/**
 * Route windows in PostgreSQL: one row per route and channel (locked while a receipt decides) and
 * one per alert it knows. Shared by every replica and kept across restarts, in both modes.
 */
export class RouteWindowRepository {
  constructor(private readonly orm: MikroORM) {}

  /** Decides, under the window's lock, what goes now and what waits; records both. */
  async offer(
    route: { id: string; name: string; window: RouteWindowSettings },
    channelId: string,
    receiptId: string,
    candidates: WindowCandidate[],
    now: Date,
  ): Promise<WindowVerdict> {
    return inTransaction(this.orm, async (run) => {
      await run(
        `insert into "route_window" ("route_id", "channel_id", "route_name") values (?, ?, ?)
           on conflict ("route_id", "channel_id") do update set "route_name" = excluded."route_name"`,
        [route.id, channelId, route.name.slice(0, 100)],
      );
      const [window] = await run(
        `select "last_flush_at", "next_flush_at" from "route_window" where "route_id" = ? and "channel_id" = ? for update`,
        [route.id, channelId],
      );
      const rows = await run(
        `select "fingerprint", "status", "queued_at", "queued_by", "told_status", "told_at", "told_by" from "route_window_alert"
          where "route_id" = ? and "channel_id" = ? and "fingerprint" in (${candidates.map(() => '?').join(', ')})`,
        [route.id, channelId, ...candidates.map((c) => c.fingerprint)],
      );
      const known = new Map<string, KnownAlert>(
        rows.map((r) => [
          r.fingerprint as string,
          {
            status: r.status as string,
            queuedAt: time(r.queued_at),
            queuedBy: (r.queued_by as string | null) ?? null,
            toldStatus: (r.told_status as string | null) ?? null,
            toldAt: time(r.told_at),
            toldBy: (r.told_by as string | null) ?? null,
          },
        ]),
      );
      const t = now.getTime();
      const verdict = decideWindow(
        route.window,
        { lastFlushAt: time(window.last_flush_at), nextFlushAt: time(window.next_flush_at) },
        receiptId,
        t,
        candidates.map((c) => ({ status: c.status, known: known.get(c.fingerprint) ?? null })),
      );
      const upsert = (c: WindowCandidate, queued: boolean) =>
        run(
          `insert into "route_window_alert" ("route_id", "channel_id", "fingerprint", "status", "alert", "receiver", "group_key", "queued_at", "queued_by", "told_status", "told_at", "told_by")
           values (?, ?, ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?)
           on conflict ("route_id", "channel_id", "fingerprint") do update set "status" = excluded."status", "alert" = excluded."alert", "receiver" = excluded."receiver",
             "group_key" = excluded."group_key", "queued_at" = excluded."queued_at", "queued_by" = excluded."queued_by",
             "told_status" = coalesce(excluded."told_status", "route_window_alert"."told_status"), "told_at" = coalesce(excluded."told_at", "route_window_alert"."told_at"),
             "told_by" = case when excluded."told_status" is null then "route_window_alert"."told_by" else excluded."told_by" end`,
          [
            route.id,
            channelId,
            c.fingerprint,
            c.status,
            JSON.stringify(c.alert),
            c.receiver,
            c.groupKey,
            queued ? now : null,
            queued ? receiptId : null,
            queued ? null : c.status,
            queued ? null : now,
            queued ? null : receiptId,
          ],
        );
      for (const [i, decision] of verdict.decisions.entries()) {
        const c = candidates[i];
        const prior = known.get(c.fingerprint);
        if (decision === 'send' && prior?.toldBy !== receiptId) await upsert(c, false);
        else if (decision === 'queue' && prior?.queuedBy !== receiptId) await upsert(c, true);
        else if (decision === 'drop')
          await run(`delete from "route_window_alert" where "route_id" = ? and "channel_id" = ? and "fingerprint" = ?`, [
            route.id,
            channelId,
            c.fingerprint,
          ]);
        else if (decision === 'repeat' && prior?.queuedAt != null) {
          // Already waiting: the window's message tells it as last seen.
          await run(
            `update "route_window_alert" set "status" = ?, "alert" = ?::jsonb where "route_id" = ? and "channel_id" = ? and "fingerprint" = ?`,
            [c.status, JSON.stringify(c.alert), route.id, channelId, c.fingerprint],
          );
        }
      }
      if (verdict.sends)
        await run(`update "route_window" set "last_flush_at" = ? where "route_id" = ? and "channel_id" = ?`, [now, route.id, channelId]);
      if (verdict.nextFlushAt !== null && time(window.next_flush_at) === null) {
        await run(`update "route_window" set "next_flush_at" = ? where "route_id" = ? and "channel_id" = ?`, [
          new Date(verdict.nextFlushAt),
          route.id,
          channelId,
        ]);
      }
      return verdict;
    });
  }

  /**
   * Takes what a window holds for its message once it is due: marks it told and released, and
   * moves the window's last send to now. Null when nothing is due; `early` when not yet.
   */
  async take(routeId: string, channelId: string, now: Date): Promise<ReleasedBatch | { early: Date } | null> {
    return inTransaction(this.orm, async (run) => {
      const [window] = await run(
        `select "route_name", "next_flush_at" from "route_window" where "route_id" = ? and "channel_id" = ? for update`,
        [routeId, channelId],
      );
      const dueAt = time(window?.next_flush_at);
      if (!window || dueAt === null) return null;
      if (dueAt > now.getTime() + 1_000) return { early: new Date(dueAt) };
      const rows = await run(
        `update "route_window_alert" set "released_at" = ?, "told_status" = "status", "told_at" = ?, "told_by" = null, "queued_at" = null, "queued_by" = null
          where "route_id" = ? and "channel_id" = ? and "queued_at" is not null returning "alert", "receiver", "group_key", "fingerprint"`,
        [now, now, routeId, channelId],
      );
      // A tick with nothing left to tell (all dropped meanwhile) does not count as a message.
      if (rows.length > 0)
        await run(`update "route_window" set "last_flush_at" = ?, "next_flush_at" = null where "route_id" = ? and "channel_id" = ?`, [
          now,
          routeId,
          channelId,
        ]);
      else await run(`update "route_window" set "next_flush_at" = null where "route_id" = ? and "channel_id" = ?`, [routeId, channelId]);
      return {
        routeId,
        channelId,
        routeName: window.route_name as string,
        releasedAt: now,
        alerts: rows.map((r) => ({
          alert: jsonColumn<AlertView>(r.alert),
          receiver: r.receiver as string,
          groupKey: r.group_key as string,
        })),
      };
    });
  }

  /** A released batch was handed to delivery (or its channel is gone): nothing to resend. */
  async handed(batch: Pick<ReleasedBatch, 'routeId' | 'channelId' | 'releasedAt'>): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(`update "route_window_alert" set "released_at" = null where "route_id" = ? and "channel_id" = ? and "released_at" = ?`, [
        batch.routeId,
        batch.channelId,
        batch.releasedAt,
      ]);
  }

  /** Windows whose message is overdue by more than `slackMs` (its job was lost). */
  async overdue(now: Date, slackMs: number, limit: number): Promise<Array<{ routeId: string; channelId: string }>> {
    const rows = await this.orm.em
      .getConnection()
      .execute(
        `select "route_id", "channel_id" from "route_window" where "next_flush_at" < ? order by "next_flush_at" limit ${Number(limit)}`,
        [new Date(now.getTime() - slackMs)],
      );
    return rows.map((r: Record<string, unknown>) => ({ routeId: r.route_id as string, channelId: r.channel_id as string }));
  }

  /** Batches released longer than `slackMs` ago and never marked handed (a crash in between). */
  async unhanded(now: Date, slackMs: number): Promise<ReleasedBatch[]> {
    const rows = await this.orm.em.getConnection().execute(
      `select a."route_id", a."channel_id", a."released_at", a."alert", a."receiver", a."group_key", w."route_name" from "route_window_alert" a
         join "route_window" w on w."route_id" = a."route_id" and w."channel_id" = a."channel_id"
        where a."released_at" < ? order by a."released_at", a."fingerprint" limit 1000`,
      [new Date(now.getTime() - slackMs)],
    );
    const batches = new Map<string, ReleasedBatch>();
    for (const r of rows) {
      const releasedAt = new Date(r.released_at as string);
      const key = `${r.route_id}|${r.channel_id}|${releasedAt.getTime()}`;
      const batch = batches.get(key) ?? {
        routeId: r.route_id as string,
        channelId: r.channel_id as string,
        routeName: r.route_name as string,
        releasedAt,
        alerts: [],
      };
      batch.alerts.push({ alert: jsonColumn<AlertView>(r.alert), receiver: r.receiver as string, groupKey: r.group_key as string });
      batches.set(key, batch);
    }
    return [...batches.values()];
  }

  /** Forgets alerts told longer ago than any repeat interval can reach. */
  async forget(before: Date): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(`delete from "route_window_alert" where "queued_at" is null and "released_at" is null and "told_at" < ?`, [before]);
  }
}
