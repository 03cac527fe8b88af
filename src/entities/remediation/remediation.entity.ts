import { Entity, Index, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';
import type { SealedSecret } from '../../domain/sealed-secret';

export const REMEDIATION_MODES = ['suggest', 'approval', 'automatic'] as const;
export type RemediationMode = (typeof REMEDIATION_MODES)[number];

/** An n8n workflow on the allowlist: what an analysis may propose to run, for which alerts, and how. */
@Entity({ tableName: 'remediation_action' })
export class RemediationActionEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The name the analysis uses to propose it. */
  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Property({ type: 'text' })
  description: string = '';

  /** The n8n production webhook URL (enough to start the workflow), sealed. */
  @Property({ type: 'json' })
  webhookUrl!: SealedSecret;

  @Property({ type: 'string', length: 100 })
  authHeaderName: string = 'X-N8N-Auth';

  @Property({ type: 'json', nullable: true })
  authValue?: SealedSecret | null;

  @Property({ type: 'json' })
  matchers: LabelMatcher[] = [];

  @Property({ type: 'double' })
  minConfidence!: number;

  @Property({ type: 'string', length: 16 })
  mode!: RemediationMode;

  @Property({ type: 'integer' })
  cooldownSeconds!: number;

  /** Record what would run, call nothing. */
  @Property({ type: 'boolean' })
  dryRun: boolean = false;

  @Property({ type: 'integer' })
  timeoutMs: number = 30_000;

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}

export const EXECUTION_STATUSES = [
  'suggested',
  'awaiting_approval',
  'running',
  'succeeded',
  'failed',
  'dry_run',
  'refused',
  'cooldown',
  'stopped',
] as const;
export type ExecutionStatus = (typeof EXECUTION_STATUSES)[number];

/** One proposal of an action for one firing episode of an alert, and what became of it (R6 automation executions). */
@Entity({ tableName: 'automation_execution' })
@Unique({ properties: ['actionName', 'fingerprint', 'startsAt'] })
@Index({ properties: ['createdAt'] })
export class AutomationExecutionEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', nullable: true })
  actionId?: string | null;

  @Property({ type: 'string', length: 100 })
  actionName!: string;

  @Property({ type: 'uuid' })
  analysisId!: string;

  @Property({ type: 'uuid' })
  recordId!: string;

  @Property({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'datetime' })
  startsAt!: Date;

  @Property({ type: 'string', length: 16 })
  mode!: string;

  @Property({ type: 'boolean' })
  dryRun: boolean = false;

  @Property({ type: 'string', length: 24 })
  status!: ExecutionStatus;

  /** What started it: the analysis, or who approved it. */
  @Property({ type: 'string', length: 200 })
  triggeredBy!: string;

  @Property({ type: 'json' })
  inputs: Record<string, unknown> = {};

  @Property({ type: 'string', length: 200, nullable: true })
  n8nExecutionId?: string | null;

  @Property({ type: 'json', nullable: true })
  output?: unknown;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  finishedAt?: Date | null;
}
