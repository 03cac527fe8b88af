import { randomUUID } from 'node:crypto';
import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import { inTransaction, type TransactionStatement, jsonColumn } from '../storage/bound-sql';
import type { IncidentState } from '../../entities/gateway/incident.entity';
import type { ChannelMessage } from '../channels/message';
import { storableDate, type AlertmanagerAlert } from '../gateway/alertmanager-payload';

/** The policy values an incident is opened with. */
export interface IncidentPolicyValues {
  id: string;
  name: string;
  windowSeconds: number;
  updateIntervalSeconds: number;
  reopenGraceSeconds: number;
  resolveHoldSeconds: number;
}

/** Alerts of one receipt that share a correlation key. */
export interface CorrelatedAlerts {
  key: string;
  policy: IncidentPolicyValues;
  /** The correlating labels' values. */
  labels: Record<string, string>;
  title: string;
  receiptId: string;
  receiver: string;
  alerts: AlertmanagerAlert[];
  /** Where the first notice goes, asked only when this receipt opens the incident. */
  channelsOfFirstNotice: () => Promise<string[]>;
}

/** What joining decided for a receipt's alerts of one key. */
export type JoinOutcome =
  /** The receipt opens the incident: its alerts go out as the first notice. */
  | { role: 'opener'; incidentId: string; title: string; reopened: false }
  /** The alerts folded into an existing (or reopened) incident. */
  | {
      role: 'member';
      incidentId: string;
      title: string;
      changed: boolean;
      reopened: boolean;
      pending: PendingUpdate | null;
      /** The receipt that opened the incident, and whether any update has been sent since. */
      openedBy: string;
      notified: boolean;
    }
  /** Nothing to join (only resolutions of alerts no open incident holds): they pass through. */
  | { role: 'none' };

/** An incident with something new that no notification has told yet. */
export interface PendingUpdate {
  incidentId: string;
  pendingSince: Date;
  /** When the next notification may go out (the last one plus the update interval). */
  dueAt: Date;
}

export interface IncidentRow {
  id: string;
  correlationKey: string;
  reopenGraceSeconds: number;
  resolveHoldSeconds: number;
  policyId: string;
  policyName: string;
  labels: Record<string, string>;
  title: string;
  state: IncidentState;
  receiver: string;
  channelIds: string[];
  windowSeconds: number;
  updateIntervalSeconds: number;
  openedAt: Date;
  lastAlertAt: Date;
  updatedAt: Date;
  resolvedAt: Date | null;
  updatePendingSince: Date | null;
  lastNotifiedAt: Date | null;
  acknowledgedAt: Date | null;
  acknowledgedBy: string | null;
  notificationCount: number;
  alertCount: number;
  firingCount: number;
}

export interface IncidentAlertRow {
  fingerprint: string;
  alertname: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  status: 'firing' | 'resolved';
  startsAt: Date;
  firstSeenAt: Date;
  lastSeenAt: Date;
  resolvedAt: Date | null;
  notified: boolean;
  notifiedStatus: string | null;
}

export interface NotificationRow {
  id: string;
  incidentId: string;
  kind: 'opened' | 'update' | 'resolved';
  sequence: number;
  channelId: string;
  deliveryId: string | null;
  error: string | null;
  added: number;
  resolved: number;
  firing: number;
  message: ChannelMessage;
  createdAt: Date;
}

export interface IncidentFilter {
  state?: IncidentState | null;
  policyName?: string | null;
}

const dateOrNull = (value: unknown): Date | null => (value ? new Date(value as string) : null);

/** When an incident's next update may go: one update interval after its last notification (or its opening). */
const UPDATE_DUE_SQL = `coalesce(i."last_notified_at", i."opened_at") + make_interval(secs => i."update_interval_seconds")`;

/** A row selecting "id", "update_pending_since" and `UPDATE_DUE_SQL` as "due_at". */
const toPending = (r: Record<string, unknown>): PendingUpdate => ({
  incidentId: r.id as string,
  pendingSince: new Date(r.update_pending_since as string),
  dueAt: new Date(r.due_at as string),
});

const INCIDENT_COLUMNS = `i."id", i."correlation_key", i."reopen_grace_seconds", i."resolve_hold_seconds", i."policy_id", i."policy_name", i."labels", i."title", i."state", i."receiver", i."channel_ids", i."window_seconds",
  i."update_interval_seconds", i."opened_at", i."last_alert_at", i."updated_at", i."resolved_at", i."update_pending_since", i."last_notified_at", i."acknowledged_at", i."acknowledged_by",
  i."notification_count",
  (select count(*) from "incident_alert" a where a."incident_id" = i."id")::int as "alert_count",
  (select count(*) from "incident_alert" a where a."incident_id" = i."id" and a."status" = 'firing')::int as "firing_count"`;

function toIncident(r: Record<string, unknown>): IncidentRow {
  return {
    id: r.id as string,
    correlationKey: r.correlation_key as string,
    reopenGraceSeconds: Number(r.reopen_grace_seconds),
    resolveHoldSeconds: Number(r.resolve_hold_seconds ?? 0),
    policyId: r.policy_id as string,
    policyName: r.policy_name as string,
    labels: jsonColumn(r.labels),
    title: r.title as string,
    state: r.state as IncidentState,
    receiver: r.receiver as string,
    channelIds: jsonColumn(r.channel_ids),
    windowSeconds: Number(r.window_seconds),
    updateIntervalSeconds: Number(r.update_interval_seconds),
    openedAt: new Date(r.opened_at as string),
    lastAlertAt: new Date(r.last_alert_at as string),
    updatedAt: new Date(r.updated_at as string),
    resolvedAt: dateOrNull(r.resolved_at),
    updatePendingSince: dateOrNull(r.update_pending_since),
    lastNotifiedAt: dateOrNull(r.last_notified_at),
    acknowledgedAt: dateOrNull(r.acknowledged_at),
    acknowledgedBy: (r.acknowledged_by as string | null) ?? null,
    notificationCount: Number(r.notification_count),
    alertCount: Number(r.alert_count ?? 0),
    firingCount: Number(r.firing_count ?? 0),
  };
}

function toAlert(r: Record<string, unknown>): IncidentAlertRow {
  return {
    fingerprint: r.fingerprint as string,
    alertname: r.alertname as string,
    labels: jsonColumn(r.labels),
    annotations: jsonColumn(r.annotations),
    status: r.status as 'firing' | 'resolved',
    startsAt: new Date(r.starts_at as string),
    firstSeenAt: new Date(r.first_seen_at as string),
    lastSeenAt: new Date(r.last_seen_at as string),
    resolvedAt: dateOrNull(r.resolved_at),
    notified: Boolean(r.notified),
    notifiedStatus: (r.notified_status as string | null) ?? null,
  };
}

function toNotification(r: Record<string, unknown>): NotificationRow {
  return {
    id: r.id as string,
    incidentId: r.incident_id as string,
    kind: r.kind as NotificationRow['kind'],
    sequence: Number(r.sequence),
    channelId: r.channel_id as string,
    deliveryId: (r.delivery_id as string | null) ?? null,
    error: (r.error as string | null) ?? null,
    added: Number(r.added),
    resolved: Number(r.resolved),
    firing: Number(r.firing),
    message: jsonColumn(r.message),
    createdAt: new Date(r.created_at as string),
  };
}

type Run = TransactionStatement;

/** What joining reads of an incident. */
const JOIN_COLUMNS = `"id", "title", "opened_by_receipt", "update_pending_since", "last_notified_at", "opened_at", "update_interval_seconds", "notification_count"`;

/** Tries a transaction again when a concurrent replica opened the same incident first (the unique open key). */
const JOIN_TRIES = 3;

/**
 * Incidents in PostgreSQL. Joining runs in one transaction per correlation key with the open
 * incident locked, and the database allows one open incident per key: two replicas (or two
 * receipts at once) agree on which receipt opened an incident, and a receipt processed again
 * after a crash finds itself the opener again rather than sending a second first notice.
 */
export class IncidentRepository {
  constructor(private readonly orm: MikroORM) {}

  /** Runs `work` in one transaction (the notifier books notifications in one). */
  inTransaction<T>(work: (run: Run) => Promise<T>): Promise<T> {
    return inTransaction(this.orm, work);
  }

  /** Joins a receipt's alerts of one key to their incident: opens it, folds into it, or reopens it. */
  /**
   * `alreadySent`: the alerts went out before joining (this replica knew of no open incident for
   * the key), so should they join one after all they are told already.
   */
  async join(group: CorrelatedAlerts, now: Date, alreadySent = false): Promise<JoinOutcome> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await this.inTransaction((run) => this.joinOnce(run, group, now, alreadySent));
      } catch (err) {
        if (!(err instanceof UniqueConstraintViolationException) || attempt >= JOIN_TRIES) throw err;
      }
    }
  }

  /** The open incident of a key, locked until the transaction ends; undefined when none is open. */
  private async lockOpen(run: Run, key: string): Promise<Record<string, unknown> | undefined> {
    const [open] = await run(`select ${JOIN_COLUMNS} from "incident" where "correlation_key" = ? and "state" <> 'resolved' for update`, [
      key,
    ]);
    return open;
  }

  private async joinOnce(run: Run, group: CorrelatedAlerts, now: Date, alreadySent: boolean): Promise<JoinOutcome> {
    const open = await this.lockOpen(run, group.key);
    const firing = group.alerts.filter((a) => a.status === 'firing');
    if (open) {
      const incidentId = open.id as string;
      if (open.opened_by_receipt === group.receiptId) {
        await this.upsertAlerts(run, incidentId, group.alerts, now, true);
        return { role: 'opener', incidentId, title: open.title as string, reopened: false };
      }
      return this.fold(run, open, group, now, false, alreadySent);
    }
    if (firing.length === 0) return { role: 'none' };
    const [recent] = await run(
      `select ${JOIN_COLUMNS} from "incident" where "correlation_key" = ? and "state" = 'resolved' and "resolved_at" >= ? order by "resolved_at" desc limit 1 for update`,
      [group.key, new Date(now.getTime() - group.policy.reopenGraceSeconds * 1000)],
    );
    if (recent) {
      await run(`update "incident" set "state" = 'updated', "resolved_at" = null where "id" = ?`, [recent.id]);
      return this.fold(run, recent, { ...group, alerts: firing }, now, true, alreadySent);
    }
    const incidentId = randomUUID();
    const channelIds = await group.channelsOfFirstNotice();
    const inserted = await run(
      `insert into "incident" ("id", "policy_id", "policy_name", "correlation_key", "labels", "title", "state", "opened_by_receipt", "receiver", "channel_ids",
         "window_seconds", "update_interval_seconds", "reopen_grace_seconds", "resolve_hold_seconds", "opened_at", "last_alert_at", "updated_at", "notification_count")
       values (?, ?, ?, ?, ?::jsonb, ?, 'open', ?, ?, ?::jsonb, ?, ?, ?, ?, ?, ?, ?, 0)
       on conflict ("correlation_key") where "state" <> 'resolved' do nothing returning "id"`,
      [
        incidentId,
        group.policy.id,
        group.policy.name,
        group.key,
        JSON.stringify(group.labels),
        group.title.slice(0, 300),
        group.receiptId,
        group.receiver,
        JSON.stringify(channelIds),
        group.policy.windowSeconds,
        group.policy.updateIntervalSeconds,
        group.policy.reopenGraceSeconds,
        group.policy.resolveHoldSeconds,
        now,
        now,
        now,
      ],
    );
    // Opened meanwhile by another receipt: fold into it on the next try.
    if (inserted.length === 0) throw new UniqueConstraintViolationException(new Error('incident opened concurrently'));
    await this.upsertAlerts(run, incidentId, firing, now, true);
    return { role: 'opener', incidentId, title: group.title, reopened: false };
  }

  /** Folds alerts into an incident; something new (an alert added, or one changing status since it was told) makes an update pending. */
  private async fold(
    run: Run,
    incident: Record<string, unknown>,
    group: CorrelatedAlerts,
    now: Date,
    reopened: boolean,
    alreadySent: boolean,
  ): Promise<JoinOutcome> {
    const incidentId = incident.id as string;
    const known = await this.upsertAlerts(run, incidentId, group.alerts, now, alreadySent);
    const changed = !alreadySent && (reopened || known.some((row) => row.notifiedStatus !== row.status));
    let pendingSince = dateOrNull(incident.update_pending_since);
    if (changed) {
      pendingSince ??= now;
      await run(
        `update "incident" set "state" = 'updated', "last_alert_at" = ?, "updated_at" = ?, "update_pending_since" = ? where "id" = ?`,
        [now, now, pendingSince, incidentId],
      );
    } else {
      await run(`update "incident" set "last_alert_at" = ? where "id" = ?`, [now, incidentId]);
    }
    const lastTold = dateOrNull(incident.last_notified_at) ?? new Date(incident.opened_at as string);
    const pending = pendingSince
      ? {
          incidentId,
          pendingSince,
          dueAt: new Date(Math.max(now.getTime(), lastTold.getTime() + Number(incident.update_interval_seconds) * 1000)),
        }
      : null;
    return {
      role: 'member',
      incidentId,
      title: incident.title as string,
      changed,
      reopened,
      pending,
      openedBy: incident.opened_by_receipt as string,
      notified: Number(incident.notification_count) > 0,
    };
  }

  /**
   * Joins alerts to their incident only if one is open (never opens one): for alerts that were
   * held back elsewhere and are released now.
   */
  async joinOpen(group: CorrelatedAlerts, now: Date): Promise<JoinOutcome> {
    return this.inTransaction(async (run) => {
      const open = await this.lockOpen(run, group.key);
      return open ? this.fold(run, open, group, now, false, false) : { role: 'none' };
    });
  }

  /**
   * Makes `to` the opener of an incident whose opening receipt was never stored (its process
   * died before answering): `to`'s alerts go out as the first notice after all. False when the
   * incident is no longer `from`'s.
   */
  async takeOver(incidentId: string, from: string, to: string, alerts: AlertmanagerAlert[], now: Date): Promise<boolean> {
    return this.inTransaction(async (run) => {
      const taken = await run(
        `update "incident" set "opened_by_receipt" = ? where "id" = ? and "opened_by_receipt" = ? and "notification_count" = 0 returning "id"`,
        [to, incidentId, from],
      );
      if (taken.length === 0) return false;
      await this.upsertAlerts(run, incidentId, alerts, now, true);
      return true;
    });
  }

  /** Adds or refreshes alerts; answers, per alert, its status now and the status last told. */
  private async upsertAlerts(
    run: Run,
    incidentId: string,
    alerts: AlertmanagerAlert[],
    now: Date,
    told: boolean,
  ): Promise<Array<{ status: string; notifiedStatus: string | null }>> {
    if (alerts.length === 0) return [];
    const rows = await run(
      `insert into "incident_alert" ("incident_id", "fingerprint", "alertname", "labels", "annotations", "status", "starts_at", "first_seen_at", "last_seen_at",
         "resolved_at", "notified", "notified_status")
       values ${alerts.map(() => '(?, ?, ?, ?::jsonb, ?::jsonb, ?, ?, ?, ?, ?, ?, ?)').join(', ')}
       on conflict ("incident_id", "fingerprint") do update set "status" = excluded."status", "labels" = excluded."labels", "annotations" = excluded."annotations",
         "starts_at" = excluded."starts_at", "last_seen_at" = excluded."last_seen_at", "resolved_at" = excluded."resolved_at",
         "notified" = "incident_alert"."notified" or excluded."notified",
         "notified_status" = case when excluded."notified" then excluded."notified_status" else "incident_alert"."notified_status" end
       returning "status", "notified_status"`,
      alerts.flatMap((a) => [
        incidentId,
        a.fingerprint,
        (a.labels.alertname ?? '').slice(0, 200),
        JSON.stringify(a.labels),
        JSON.stringify(a.annotations),
        a.status,
        storableDate(a.startsAt),
        now,
        now,
        a.status === 'resolved' ? now : null,
        told,
        told ? a.status : null,
      ]),
    );
    return rows.map((r) => ({ status: r.status as string, notifiedStatus: (r.notified_status as string | null) ?? null }));
  }

  /**
   * A flapping alert has settled and its flap summary told the channels how: the open incidents
   * holding it take that status as told, and one with nothing firing any more is due to close
   * (without a message of its own when nothing else is untold). Answers the updates to book.
   */
  async settledFlapping(fingerprint: string, status: 'firing' | 'resolved', now: Date): Promise<PendingUpdate[]> {
    return this.inTransaction(async (run) => {
      const touched = await run(
        `update "incident_alert" a set "status" = ?, "notified" = true, "notified_status" = ?, "resolved_at" = ?, "last_seen_at" = ?
           from "incident" i where i."id" = a."incident_id" and i."state" <> 'resolved' and a."fingerprint" = ?
           returning a."incident_id"`,
        [status, status, status === 'resolved' ? now : null, now, fingerprint],
      );
      if (status === 'firing' || touched.length === 0) return [];
      const due = await run(
        `update "incident" i set "update_pending_since" = coalesce(i."update_pending_since", ?), "updated_at" = ?
           where i."id" in (${touched.map(() => '?').join(', ')})
           and not exists (select 1 from "incident_alert" a where a."incident_id" = i."id" and a."status" = 'firing')
           returning i."id", i."update_pending_since", ${UPDATE_DUE_SQL} as "due_at"`,
        [now, now, ...touched.map((r) => r.incident_id)],
      );
      return due.map(toPending);
    });
  }

  /** Keys of open incidents, and of resolved ones still within their reopen grace (with its end). */
  async knownKeys(now: Date): Promise<Array<{ key: string; until: number }>> {
    const rows = await this.orm.em.getConnection().execute(
      `select "correlation_key", "state", "resolved_at" + make_interval(secs => "reopen_grace_seconds") as "until" from "incident"
        where "state" <> 'resolved' or "resolved_at" + make_interval(secs => "reopen_grace_seconds") > ?::timestamptz`,
      [now],
    );
    return rows.map((r: Record<string, unknown>) => ({
      key: r.correlation_key as string,
      until: r.state === 'resolved' ? new Date(r.until as string).getTime() : Infinity,
    }));
  }

  async find(id: string): Promise<IncidentRow | null> {
    const [row] = await this.orm.em.getConnection().execute(`select ${INCIDENT_COLUMNS} from "incident" i where i."id" = ?`, [id]);
    return row ? toIncident(row) : null;
  }

  async findPage(
    filter: IncidentFilter,
    page: { limit: number; offset: number; order: 'asc' | 'desc' },
  ): Promise<{ items: IncidentRow[]; total: number }> {
    const conditions: string[] = [];
    const values: unknown[] = [];
    if (filter.state) {
      conditions.push(`i."state" = ?`);
      values.push(filter.state);
    }
    if (filter.policyName) {
      conditions.push(`i."policy_name" = ?`);
      values.push(filter.policyName);
    }
    const where = conditions.length > 0 ? `where ${conditions.join(' and ')}` : '';
    const connection = this.orm.em.getConnection();
    const [rows, [count]] = await Promise.all([
      connection.execute(
        `select ${INCIDENT_COLUMNS} from "incident" i ${where} order by i."opened_at" ${page.order === 'asc' ? 'asc' : 'desc'}, i."id" limit ${Number(page.limit)} offset ${Number(page.offset)}`,
        values,
      ),
      connection.execute(`select count(*)::int as "n" from "incident" i ${where}`, values),
    ]);
    return { items: rows.map(toIncident), total: Number(count.n) };
  }

  async alertsOf(incidentId: string): Promise<IncidentAlertRow[]> {
    const rows = await this.orm.em
      .getConnection()
      .execute(`select * from "incident_alert" where "incident_id" = ? order by "first_seen_at", "fingerprint"`, [incidentId]);
    return rows.map(toAlert);
  }

  async notificationsOf(incidentId: string): Promise<NotificationRow[]> {
    const rows = await this.orm.em
      .getConnection()
      .execute(`select * from "incident_notification" where "incident_id" = ? order by "sequence", "channel_id"`, [incidentId]);
    return rows.map(toNotification);
  }

  /** Locks an incident for a notification; null when it is unknown. */
  async lockForNotification(run: Run, incidentId: string): Promise<{ incident: IncidentRow; alerts: IncidentAlertRow[] } | null> {
    const [row] = await run(`select ${INCIDENT_COLUMNS} from "incident" i where i."id" = ? for update`, [incidentId]);
    if (!row) return null;
    const alerts = (
      await run(`select * from "incident_alert" where "incident_id" = ? order by "first_seen_at", "fingerprint"`, [incidentId])
    ).map(toAlert);
    return { incident: toIncident(row), alerts };
  }

  /** Books a notification (one row per channel) and marks what it tells as told, in the caller's transaction. */
  async bookNotification(
    run: Run,
    incident: IncidentRow,
    notification: {
      kind: 'update' | 'resolved';
      sequence: number;
      added: number;
      resolved: number;
      firing: number;
      message: ChannelMessage;
    },
    now: Date,
  ): Promise<NotificationRow[]> {
    const resolved = notification.kind === 'resolved';
    await run(
      `update "incident" set "notification_count" = ?, "last_notified_at" = ?, "update_pending_since" = null, "updated_at" = ?,
         "state" = ?, "resolved_at" = ? where "id" = ?`,
      [notification.sequence, now, now, resolved ? 'resolved' : 'updated', resolved ? now : null, incident.id],
    );
    await run(`update "incident_alert" set "notified" = true, "notified_status" = "status" where "incident_id" = ?`, [incident.id]);
    if (incident.channelIds.length === 0) return [];
    const rows = await run(
      `insert into "incident_notification" ("id", "incident_id", "kind", "sequence", "channel_id", "added", "resolved", "firing", "message", "created_at")
       values ${incident.channelIds.map(() => '(?, ?, ?, ?, ?, ?, ?, ?, ?::jsonb, ?)').join(', ')}
       on conflict ("incident_id", "sequence", "channel_id") do nothing returning *`,
      incident.channelIds.flatMap((channelId) => [
        randomUUID(),
        incident.id,
        notification.kind,
        notification.sequence,
        channelId,
        notification.added,
        notification.resolved,
        notification.firing,
        JSON.stringify(notification.message),
        now,
      ]),
    );
    return rows.map(toNotification);
  }

  /** Everything resolved with nothing new to tell: the incident closes without a notification. */
  async closeUntold(run: Run, incidentId: string, now: Date): Promise<void> {
    await run(
      `update "incident" set "state" = 'resolved', "resolved_at" = ?, "update_pending_since" = null, "updated_at" = ? where "id" = ?`,
      [now, now, incidentId],
    );
  }

  /** A notification handed to delivery (`deliveryId`), or settled without it (`error`). */
  async markNotificationSent(id: string, outcome: { deliveryId: string } | { error: string }): Promise<void> {
    await this.orm.em
      .getConnection()
      .execute(`update "incident_notification" set "delivery_id" = ?, "error" = ? where "id" = ?`, [
        'deliveryId' in outcome ? outcome.deliveryId : null,
        'error' in outcome ? outcome.error : null,
        id,
      ]);
  }

  /** Notifications booked but never handed to delivery (a crash in between), older than `before`. */
  async unsentNotifications(before: Date, limit: number): Promise<NotificationRow[]> {
    const rows = await this.orm.em
      .getConnection()
      .execute(
        `select * from "incident_notification" where "delivery_id" is null and "error" is null and "created_at" < ? order by "created_at" limit ${Number(limit)}`,
        [before],
      );
    return rows.map(toNotification);
  }

  /** Incidents whose pending update is overdue (its job was lost), and open incidents quiet for longer than their window. */
  async overdue(now: Date, slackMs: number, limit: number): Promise<PendingUpdate[]> {
    const connection = this.orm.em.getConnection();
    // Quiet past the window: closing it is something new to tell.
    await connection.execute(
      `update "incident" set "update_pending_since" = ? where "state" <> 'resolved' and "update_pending_since" is null
         and "last_alert_at" < ?::timestamptz - make_interval(secs => "window_seconds")`,
      [now, now],
    );
    const late = new Date(now.getTime() - slackMs);
    // A resolution held by the policy's resolve hold is not overdue: its job waits for the hold's end.
    const rows = await connection.execute(
      `select "id", "update_pending_since", ${UPDATE_DUE_SQL} as "due_at"
         from "incident" i where "update_pending_since" is not null
         and ${UPDATE_DUE_SQL} < ?::timestamptz
         and not ("resolve_hold_seconds" > 0
           and not exists (select 1 from "incident_alert" a where a."incident_id" = i."id" and a."status" = 'firing')
           and (select max(a."resolved_at") from "incident_alert" a where a."incident_id" = i."id") + make_interval(secs => "resolve_hold_seconds") >= ?::timestamptz)
         order by "update_pending_since" limit ${Number(limit)}`,
      [late, late],
    );
    return rows.map(toPending);
  }
}
