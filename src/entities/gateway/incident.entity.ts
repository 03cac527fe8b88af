import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';

export const INCIDENT_STATES = ['open', 'updated', 'resolved'] as const;
export type IncidentState = (typeof INCIDENT_STATES)[number];

/**
 * Which alerts belong together (flag gateway.grouping): alerts matching `matchers` that share
 * the values of `labels` form one incident while they keep coming within `windowSeconds`.
 * Policies are tried by position; the first that applies to an alert takes it.
 */
@Entity({ tableName: 'correlation_policy' })
export class CorrelationPolicyEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'integer' })
  position!: number;

  @Property({ type: 'json' })
  labels!: string[];

  @Property({ type: 'json' })
  matchers: LabelMatcher[] = [];

  /** A related alert joins the incident while it comes within this long of the incident's last alert. */
  @Property({ type: 'integer' })
  windowSeconds!: number;

  /** At most one update notification per incident and channel this often. */
  @Property({ type: 'integer' })
  updateIntervalSeconds!: number;

  /** A resolved incident reopens (no new first notice) when a related alert fires again within this long. */
  @Property({ type: 'integer' })
  reopenGraceSeconds!: number;

  /** All of an incident's alerts resolved: told only once none has fired again for this long (0 = at once). */
  @Property({ type: 'integer' })
  resolveHoldSeconds: number = 0;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}

/** Related alerts as one problem: opened by its first alert's receipt, then updated, then resolved. */
@Entity({ tableName: 'incident' })
@Index({
  name: 'incident_open_key_unique',
  expression: `create unique index "incident_open_key_unique" on "incident" ("correlation_key") where "state" <> 'resolved'`,
})
@Index({
  name: 'incident_pending_index',
  expression: `create index "incident_pending_index" on "incident" ("update_pending_since") where "update_pending_since" is not null`,
})
@Index({ name: 'incident_opened_at_index', properties: ['openedAt'] })
export class IncidentEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  policyId!: string;

  @Property({ type: 'string', length: 100 })
  policyName!: string;

  /** Policy and correlating label values, hashed: one open incident per key. */
  @Property({ type: 'string', length: 64 })
  correlationKey!: string;

  /** The correlating labels' values. */
  @Property({ type: 'json' })
  labels!: Record<string, string>;

  @Property({ type: 'string', length: 300 })
  title!: string;

  @Property({ type: 'string', length: 16 })
  state!: IncidentState;

  @Property({ type: 'uuid' })
  openedByReceipt!: string;

  /** The opening receipt's Alertmanager receiver: updates name it too. */
  @Property({ type: 'text' })
  receiver!: string;

  /** Where the first notice went: updates and the resolution go there too. */
  @Property({ type: 'json' })
  channelIds: string[] = [];

  /** The policy's window, update interval and reopen grace when the incident opened (a policy edit applies to new incidents). */
  @Property({ type: 'integer' })
  windowSeconds!: number;

  @Property({ type: 'integer' })
  updateIntervalSeconds!: number;

  @Property({ type: 'integer' })
  reopenGraceSeconds!: number;

  @Property({ type: 'integer' })
  resolveHoldSeconds: number = 0;

  @Property({ type: 'datetime' })
  openedAt!: Date;

  @Property({ type: 'datetime' })
  lastAlertAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  resolvedAt?: Date | null;

  /** Set when something new happened that no notification has told yet. */
  @Property({ type: 'datetime', nullable: true })
  updatePendingSince?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  lastNotifiedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  acknowledgedAt?: Date | null;

  @Property({ type: 'string', length: 200, nullable: true })
  acknowledgedBy?: string | null;

  @Property({ type: 'integer' })
  notificationCount: number = 0;
}

/** One alert (by fingerprint) of an incident, as last seen. */
@Entity({ tableName: 'incident_alert' })
@Index({ name: 'incident_alert_fingerprint_index', properties: ['fingerprint'] })
export class IncidentAlertEntity {
  @PrimaryKey({ type: 'uuid' })
  incidentId!: string;

  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'string', length: 200 })
  alertname!: string;

  @Property({ type: 'json' })
  labels!: Record<string, string>;

  @Property({ type: 'json' })
  annotations!: Record<string, string>;

  @Property({ type: 'string', length: 16 })
  status!: string;

  @Property({ type: 'datetime' })
  startsAt!: Date;

  @Property({ type: 'datetime' })
  firstSeenAt!: Date;

  @Property({ type: 'datetime' })
  lastSeenAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  resolvedAt?: Date | null;

  /** Whether a notification has told this alert's current status. */
  @Property({ type: 'boolean' })
  notified: boolean = false;

  @Property({ type: 'string', length: 16, nullable: true })
  notifiedStatus?: string | null;
}

/** A notification sent for an incident on one channel: its first notice, an update or its resolution. */
@Entity({ tableName: 'incident_notification' })
@Unique({ properties: ['incidentId', 'sequence', 'channelId'] })
@Index({
  name: 'incident_notification_undelivered_index',
  expression: `create index "incident_notification_undelivered_index" on "incident_notification" ("created_at") where "delivery_id" is null and "error" is null`,
})
export class IncidentNotificationEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  incidentId!: string;

  @Property({ type: 'string', length: 16 })
  kind!: 'opened' | 'update' | 'resolved';

  @Property({ type: 'integer' })
  sequence!: number;

  @Property({ type: 'uuid' })
  channelId!: string;

  @Property({ type: 'uuid', nullable: true })
  deliveryId?: string | null;

  /** Why it could not be handed to delivery at all (its channel was deleted). */
  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'integer' })
  added!: number;

  @Property({ type: 'integer' })
  resolved!: number;

  @Property({ type: 'integer' })
  firing!: number;

  /** The message as sent, so one a crash interrupted is sent again unchanged. */
  @Property({ type: 'json' })
  message!: Record<string, unknown>;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
