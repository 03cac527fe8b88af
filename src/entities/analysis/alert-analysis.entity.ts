import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const ANALYSIS_STATUSES = ['queued', 'running', 'succeeded', 'failed', 'timed_out'] as const;
export type AnalysisStatus = (typeof ANALYSIS_STATUSES)[number];

/** One analysis of one alert record by one provider: its progress, and the structured result. */
@Entity({ tableName: 'alert_analysis' })
@Unique({ properties: ['recordId', 'providerId'] })
@Index({ properties: ['alertname', 'createdAt'] })
@Index({ properties: ['fingerprint', 'createdAt'] })
@Index({ properties: ['finishedAt'] })
export class AlertAnalysisEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  recordId!: string;

  @Property({ type: 'uuid' })
  providerId!: string;

  @Property({ type: 'string', length: 200 })
  alertname!: string;

  @Property({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'string', length: 16 })
  status: AnalysisStatus = 'queued';

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'datetime' })
  queuedAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  startedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  /** Whether the answer held a result that passed the schema; false keeps only the raw answer. */
  @Property({ type: 'boolean', nullable: true })
  parsed?: boolean | null;

  @Property({ type: 'text', nullable: true })
  parseError?: string | null;

  @Property({ type: 'text', nullable: true })
  rootCause?: string | null;

  @Property({ type: 'double', nullable: true })
  confidence?: number | null;

  @Property({ type: 'json', nullable: true })
  suggestedActions?: string[] | null;

  @Property({ type: 'string', length: 64, nullable: true })
  severityAssessment?: string | null;

  /** What kind of problem the analysis sees (database, network, disk …), when it says. */
  @Property({ type: 'string', length: 64, nullable: true })
  category?: string | null;

  /** The team the analysis suggests, from the teams routes' follow-ups name. */
  @Property({ type: 'string', length: 100, nullable: true })
  suggestedTeam?: string | null;

  /** Channels told as a follow-up of this analysis (flag routing.smart). */
  @Property({ type: 'json', nullable: true })
  followUpChannelIds?: string[] | null;

  /** The remediation action (by name, from the allowlist it was shown) the analysis proposes. */
  @Property({ type: 'string', length: 100, nullable: true })
  remediation?: string | null;

  @Property({ type: 'text', nullable: true })
  rawAnswer?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  model?: string | null;

  @Property({ type: 'integer', nullable: true })
  tokens?: number | null;

  @Property({ type: 'double', nullable: true })
  durationMs?: number | null;

  /** The provider's id for the run: n8n execution, Dify workflow run or message. */
  @Property({ type: 'string', length: 200, nullable: true })
  executionId?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  conversationId?: string | null;

  /** For n8n callbacks: the hash of the one-off token the workflow must send back. */
  @Property({ type: 'string', length: 64, nullable: true })
  callbackTokenHash?: string | null;

  @Property({ type: 'boolean', nullable: true })
  feedbackUseful?: boolean | null;

  @Property({ type: 'text', nullable: true })
  feedbackNote?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  feedbackBy?: string | null;

  @Property({ type: 'datetime', nullable: true })
  feedbackAt?: Date | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
