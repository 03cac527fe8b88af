import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';

/**
 * Alertmanager's inhibit rule, over AlertAgent's own view of what fires (every cluster): while a
 * source alert fires, target alerts with the same values of `equal` are held back.
 */
@Entity({ tableName: 'inhibition_rule' })
export class InhibitionRuleEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'json' })
  sourceMatchers!: LabelMatcher[];

  @Property({ type: 'json' })
  targetMatchers!: LabelMatcher[];

  @Property({ type: 'json' })
  equal: string[] = [];

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}

/** A source alert of a rule, firing as last seen. */
@Entity({ tableName: 'inhibition_source' })
@Index({ properties: ['ruleId', 'equalKey'] })
export class InhibitionSourceEntity {
  @PrimaryKey({ type: 'uuid' })
  ruleId!: string;

  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  /** The `equal` labels' values, hashed. */
  @Property({ type: 'string', length: 64 })
  equalKey!: string;

  @Property({ type: 'string', length: 200 })
  alertname!: string;

  @Property({ type: 'json' })
  labels!: Record<string, string>;

  @Property({ type: 'datetime' })
  firingSince!: Date;

  @Property({ type: 'datetime' })
  lastSeenAt!: Date;
}

/** A target alert held back while a source fires; released (sent) when no source holds it any more. */
@Entity({ tableName: 'inhibited_alert' })
@Index({ properties: ['ruleId', 'equalKey'] })
@Index({
  name: 'inhibited_alert_released_index',
  expression: `create index "inhibited_alert_released_index" on "inhibited_alert" ("released_at") where "released_at" is not null`,
})
@Index({
  name: 'inhibited_alert_release_due_index',
  expression: `create index "inhibited_alert_release_due_index" on "inhibited_alert" ("release_due_at") where "release_due_at" is not null and "released_at" is null`,
})
export class InhibitedAlertEntity {
  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'uuid' })
  ruleId!: string;

  @Property({ type: 'string', length: 64 })
  equalKey!: string;

  @Property({ type: 'string', length: 64 })
  sourceFingerprint!: string;

  /** The alert as last seen, to send when it is released. */
  @Property({ type: 'json' })
  alert!: Record<string, unknown>;

  @Property({ type: 'text' })
  receiver!: string;

  @Property({ type: 'text' })
  groupKey!: string;

  @Property({ type: 'datetime' })
  heldAt!: Date;

  /** When its last source stopped and it waits for its own resolution: sent at this time if still here (GATEWAY_INHIBITION_RELEASE_WAIT_MS). */
  @Property({ type: 'datetime', nullable: true })
  releaseDueAt?: Date | null;

  /** Set when it is released: it is being sent, and deleted once handed to delivery. */
  @Property({ type: 'datetime', nullable: true })
  releasedAt?: Date | null;
}
