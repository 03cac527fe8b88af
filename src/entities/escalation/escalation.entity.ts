import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';

/** One level of an escalation policy: whom to tell, this long after the level before (or the first notice). */
export interface EscalationLevel {
  delaySeconds: number;
  channelIds: string[];
}

/** Alerts matching every matcher that nobody acknowledges in time go up the levels (flag analysis.escalation). */
@Entity({ tableName: 'escalation_policy' })
export class EscalationPolicyEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'json' })
  matchers: LabelMatcher[] = [];

  @Property({ type: 'json' })
  levels: EscalationLevel[] = [];

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}

export type EscalationState = 'waiting' | 'acknowledged' | 'resolved' | 'exhausted' | 'stopped';

/**
 * One firing episode of an alert (fingerprint and startsAt) on its way up a policy's levels: the
 * timer lives here, so it survives restarts and each level is sent once across replicas.
 */
@Entity({ tableName: 'escalation' })
@Index({ properties: ['state', 'nextAt'] })
export class EscalationEntity {
  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  @PrimaryKey({ type: 'datetime' })
  startsAt!: Date;

  @Property({ type: 'uuid' })
  policyId!: string;

  @Property({ type: 'uuid' })
  recordId!: string;

  @Property({ type: 'string', length: 200 })
  alertname!: string;

  /** Levels already sent. */
  @Property({ type: 'integer' })
  level: number = 0;

  @Property({ type: 'string', length: 16 })
  state: EscalationState = 'waiting';

  @Property({ type: 'datetime', nullable: true })
  nextAt?: Date | null;

  @Property({ type: 'datetime' })
  firstNotifiedAt!: Date;

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}

/** Who acknowledged a firing episode of an alert, when, and how. */
@Entity({ tableName: 'alert_ack' })
export class AlertAckEntity {
  @PrimaryKey({ type: 'string', length: 64 })
  fingerprint!: string;

  @PrimaryKey({ type: 'datetime' })
  startsAt!: Date;

  @Property({ type: 'string', length: 200 })
  alertname!: string;

  @Property({ type: 'datetime' })
  acknowledgedAt!: Date;

  @Property({ type: 'string', length: 200 })
  acknowledgedBy!: string;

  /** api or link */
  @Property({ type: 'string', length: 16 })
  via!: string;

  @Property({ type: 'text', nullable: true })
  note?: string | null;

  /** From the first notice to the acknowledgement. */
  @Property({ type: 'double', nullable: true })
  timeToAckSeconds?: number | null;
}

/** Ack links already used: a link works once. */
@Entity({ tableName: 'ack_link_use' })
export class AckLinkUseEntity {
  @PrimaryKey({ type: 'string', length: 64 })
  nonce!: string;

  @Property({ type: 'datetime' })
  usedAt!: Date;

  @Property({ type: 'datetime' })
  expiresAt!: Date;
}
