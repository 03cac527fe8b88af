import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';

export type MaintenanceSchedule = 'once' | 'cron' | 'rrule';

/**
 * A maintenance window: alerts it covers (matchers, clusters) are recorded as suppressed while it
 * is open, and what still fires when it closes is sent then. One-off (`startsAt`–`endsAt`) or
 * recurring (a cron or RRULE expression giving the starts, in `timeZone`, each lasting
 * `durationSeconds`).
 */
@Entity({ tableName: 'maintenance_window' })
export class MaintenanceWindowEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'json' })
  matchers: LabelMatcher[] = [];

  /** Cluster names it covers (the alerts' `cluster` label); empty: every cluster. */
  @Property({ type: 'json' })
  clusters: string[] = [];

  @Property({ type: 'string', length: 8 })
  schedule!: MaintenanceSchedule;

  /** once: the start; rrule: the first occurrence (DTSTART). */
  @Property({ type: 'datetime', nullable: true })
  startsAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  endsAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  expression?: string | null;

  @Property({ type: 'integer', nullable: true })
  durationSeconds?: number | null;

  @Property({ type: 'string', length: 64 })
  timeZone!: string;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  /** Also set as silences on the covered clusters' Alertmanagers while an occurrence is open. */
  @Property({ type: 'boolean' })
  mirrorAsSilences: boolean = false;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}

/** A silence AlertAgent set on one cluster's Alertmanager for one occurrence of a window. */
@Entity({ tableName: 'maintenance_silence' })
export class MaintenanceSilenceEntity {
  @PrimaryKey({ type: 'uuid' })
  windowId!: string;

  @PrimaryKey({ type: 'uuid' })
  clusterId!: string;

  @PrimaryKey({ type: 'datetime' })
  occurrenceStart!: Date;

  @Property({ type: 'string', length: 64 })
  silenceId!: string;

  /** What the silence says (matchers and times), hashed: a changed window replaces it. */
  @Property({ type: 'string', length: 64 })
  specHash!: string;
}

/** An alert a window suppressed, as last seen; sent at the window's end if it still fires. */
@Entity({ tableName: 'suppressed_alert' })
@Index({ properties: ['occurrenceEnd'] })
export class SuppressedAlertEntity {
  @PrimaryKey({ type: 'uuid' })
  windowId!: string;

  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'datetime' })
  occurrenceEnd!: Date;

  @Property({ type: 'string', length: 16 })
  status!: string;

  @Property({ type: 'json' })
  alert!: Record<string, unknown>;

  @Property({ type: 'text' })
  receiver!: string;

  @Property({ type: 'text' })
  groupKey!: string;

  @Property({ type: 'datetime' })
  suppressedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  releasedAt?: Date | null;
}
