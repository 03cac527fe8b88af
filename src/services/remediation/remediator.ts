import { UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import type { AlertAnalysisEntity } from '../../entities/analysis/alert-analysis.entity';
import { DeliveryEntity } from '../../entities/channels/delivery.entity';
import type { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import {
  AutomationExecutionEntity,
  type ExecutionStatus,
  type RemediationActionEntity,
} from '../../entities/remediation/remediation.entity';
import { ConflictError, NotFoundError } from '../../errors';
import type { AnalysisConsumer } from '../analysis/analysis-runner';
import type { DeliveryService } from '../channels/delivery.service';
import { recordMessage } from '../channels/record-message';
import type { AckLinks } from '../escalation/ack-links';
import { alertFlagContext, type FlagResolver } from '../flags/flag-resolver';
import type { Logger } from '../../shared/logger';
import type { Actor, AuditService } from '../security/audit.service';
import { actorOf, systemPrincipal } from '../security/principal';
import { describeNetworkError, excerpt, type PeerClient } from '../../shared/http-post';
import type { RemediationActionService } from './remediation-action.service';
import type { AutomationExecutionRepository, ExecutionFilter } from './automation-execution.repository';
import type { Page, PageRequest } from '../../domain/page';

const ANALYSIS = systemPrincipal('analysis');
const MAX_OUTPUT_BYTES = 256 * 1024;

/** Where a firing episode's remediation stands after the analysis proposed one. */
export type Proposal = Pick<AutomationExecutionEntity, 'id' | 'status' | 'actionName' | 'error'>;

export interface RemediatorDeps {
  orm: MikroORM;
  executions: AutomationExecutionRepository;
  actions: RemediationActionService;
  flags: FlagResolver;
  audit: AuditService;
  peers: PeerClient;
  links: AckLinks;
  deliveries: Pick<DeliveryService, 'deliver'>;
  linkTtlSeconds: number;
  logger: Logger;
}

/**
 * Remediation through n8n (flag analysis.remediation): when an analysis proposes an action on the
 * allowlist for an alert the action covers, with enough confidence and outside its cooldown, it is
 * suggested, put up for approval (by mutation or signed link) or run at once, as the action says,
 * or only recorded in a dry run. Every proposal is an execution record, one per action and firing
 * episode; every refusal and run is audited. Switching the flag off stops anything not yet run.
 */
export class Remediator implements AnalysisConsumer {
  constructor(private readonly deps: RemediatorDeps) {}

  /** The actions the analysis may propose for this alert (only with the flag on). */
  async offer(record: AlertRecordEntity): Promise<{ actions: Array<{ name: string; description: string }> }> {
    if (!this.deps.flags.isEnabled('analysis.remediation', alertFlagContext(record.cluster, record.labels))) return { actions: [] };
    return { actions: (await this.deps.actions.allowedFor(record.labels)).map((a) => ({ name: a.name, description: a.description })) };
  }

  async act(analysis: AlertAnalysisEntity, record: AlertRecordEntity): Promise<Proposal | null> {
    if (!analysis.remediation || !this.deps.flags.isEnabled('analysis.remediation', alertFlagContext(record.cluster, record.labels)))
      return null;
    const action = await this.deps.actions.findByName(analysis.remediation);
    const inputs = {
      alert: {
        alertname: record.alertname,
        labels: record.labels,
        annotations: record.annotations,
        startsAt: record.startsAt.toISOString(),
        fingerprint: record.fingerprint,
      },
      analysis: {
        id: analysis.id,
        rootCause: analysis.rootCause,
        confidence: analysis.confidence,
        suggestedActions: analysis.suggestedActions,
      },
    };
    const refusal = this.refusal(action, analysis, record);
    const status: ExecutionStatus = refusal
      ? 'refused'
      : (await this.inCooldown(action!))
        ? 'cooldown'
        : action!.mode === 'suggest'
          ? 'suggested'
          : action!.mode === 'approval'
            ? 'awaiting_approval'
            : 'running';
    const execution = await this.propose(analysis, record, action, status, inputs, refusal);
    if (!execution) return null;
    if (status === 'awaiting_approval') await this.askForApproval(execution, action!, record);
    if (status === 'running') await this.run(execution, action!);
    return execution;
  }

  /** Proposals and runs, newest first by default. */
  executionsPage(filter: ExecutionFilter, page: PageRequest): Promise<Page<AutomationExecutionEntity>> {
    return this.deps.executions.findPage(filter, page);
  }

  /** An approval by someone with remediation:approve. */
  async approve(executionId: string, actor: Actor): Promise<AutomationExecutionEntity> {
    return this.approveAs(executionId, actor);
  }

  /** An approval by a signed link from the approval request (each works once). */
  async approveByLink(executionId: string, sentTo: string): Promise<string> {
    const execution = await this.approveAs(executionId, { principal: systemPrincipal('approval-link'), actorName: `link:${sentTo}` });
    return `approved remediation ${execution.actionName}: ${execution.status}`;
  }

  private async approveAs(executionId: string, actor: Actor): Promise<AutomationExecutionEntity> {
    const execution = NotFoundError.assert(await this.deps.executions.findById(executionId), 'automation execution', executionId);
    if (execution.status !== 'awaiting_approval') {
      await this.deps.audit.change(actor, async (record) =>
        record('remediation.approval-refused', 'automation_execution', executionId, {
          action: execution.actionName,
          status: execution.status,
        }),
      );
      throw new ConflictError(`execution ${executionId} is ${execution.status}; only one awaiting approval can be approved`);
    }
    const action = execution.actionId ? await this.deps.actions.findByName(execution.actionName) : null;
    const record = { labels: (execution.inputs.alert as { labels: Record<string, string> }).labels };
    const by = actor.actorName ?? actorOf(actor.principal);
    if (!this.deps.flags.isEnabled('analysis.remediation', alertFlagContext(record.labels.cluster, record.labels)) || !action?.enabled) {
      await this.finish(
        execution,
        'stopped',
        {
          error: !action?.enabled ? 'the action is no longer on the allowlist' : 'remediation is switched off (flag analysis.remediation)',
        },
        by,
      );
      return execution;
    }
    // Claims the approval: a second approver (or link) finds it taken.
    if (!(await this.deps.executions.claimApproval(executionId, by)))
      throw new ConflictError(`execution ${executionId} was approved meanwhile`);
    Object.assign(execution, { status: 'running', triggeredBy: by });
    await this.deps.audit.change(actor, async (record_) =>
      record_('remediation.approved', 'automation_execution', execution.id, {
        action: execution.actionName,
        fingerprint: execution.fingerprint,
      }),
    );
    await this.run(execution, action);
    return execution;
  }

  private refusal(action: RemediationActionEntity | null, analysis: AlertAnalysisEntity, record: AlertRecordEntity): string | null {
    if (!action) return `"${analysis.remediation}" is not on the allowlist of remediation actions`;
    if (!action.enabled) return `action ${action.name} is disabled`;
    if (!this.deps.actions.matches(action, record.labels)) return `action ${action.name} does not cover this alert (its matchers)`;
    if (analysis.confidence == null || analysis.confidence < action.minConfidence)
      return `confidence ${analysis.confidence ?? 'unknown'} is below the action's ${action.minConfidence}`;
    return null;
  }

  private async inCooldown(action: RemediationActionEntity): Promise<boolean> {
    if (action.cooldownSeconds === 0) return false;
    const since = new Date(Date.now() - action.cooldownSeconds * 1000);
    return this.deps.executions.cooledSince(action.name, since);
  }

  /** One execution per action and firing episode: a later analysis of the same episode proposes nothing new. */
  private async propose(
    analysis: AlertAnalysisEntity,
    record: AlertRecordEntity,
    action: RemediationActionEntity | null,
    status: ExecutionStatus,
    inputs: Record<string, unknown>,
    refusal: string | null,
  ): Promise<AutomationExecutionEntity | null> {
    const execution = Object.assign(new AutomationExecutionEntity(), {
      actionId: action?.id ?? null,
      actionName: (action?.name ?? analysis.remediation!).slice(0, 100),
      analysisId: analysis.id,
      recordId: record.id,
      fingerprint: record.fingerprint,
      startsAt: record.startsAt,
      mode: action?.mode ?? 'none',
      dryRun: action?.dryRun ?? false,
      status,
      triggeredBy: 'system:analysis',
      inputs,
      error: refusal ?? (status === 'cooldown' ? `action ${action!.name} ran less than ${action!.cooldownSeconds} s ago` : null),
      finishedAt: ['refused', 'cooldown', 'suggested'].includes(status) ? new Date() : null,
    });
    try {
      await this.deps.audit.change({ principal: ANALYSIS }, async (recordAudit) => {
        this.deps.orm.em.persist(execution);
        recordAudit(`remediation.${status}`, 'automation_execution', execution.id, {
          action: execution.actionName,
          fingerprint: record.fingerprint,
          confidence: analysis.confidence,
          ...(execution.error ? { reason: execution.error } : {}),
        });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) return null;
      throw err;
    }
    return execution;
  }

  private async run(execution: AutomationExecutionEntity, action: RemediationActionEntity): Promise<void> {
    if (execution.dryRun) {
      await this.finish(execution, 'dry_run', { output: { wouldCall: action.name, inputs: execution.inputs } }, execution.triggeredBy);
      return;
    }
    const { url, headers } = this.deps.actions.target(action);
    const body = JSON.stringify({ executionId: execution.id, action: action.name, ...execution.inputs });
    try {
      const response = await this.deps.peers.call('POST', url, {
        body,
        headers: { 'content-type': 'application/json', ...headers },
        timeoutMs: action.timeoutMs,
        maxAnswerBytes: MAX_OUTPUT_BYTES,
      });
      const n8nExecutionId = response.header('x-n8n-execution-id') ?? null;
      let output: unknown = response.text;
      try {
        output = JSON.parse(response.text);
      } catch {
        // kept as text
      }
      if (response.status >= 200 && response.status < 300)
        await this.finish(execution, 'succeeded', { output, n8nExecutionId }, execution.triggeredBy);
      else
        await this.finish(
          execution,
          'failed',
          { output, n8nExecutionId, error: `n8n answered HTTP ${response.status}: ${excerpt(response.text, 300)}` },
          execution.triggeredBy,
        );
    } catch (err) {
      await this.finish(execution, 'failed', { error: describeNetworkError(err, action.timeoutMs) }, execution.triggeredBy);
    }
  }

  private async finish(
    execution: AutomationExecutionEntity,
    status: ExecutionStatus,
    result: { output?: unknown; n8nExecutionId?: string | null; error?: string },
    by: string,
  ): Promise<void> {
    Object.assign(execution, {
      status,
      finishedAt: new Date(),
      output: result.output ?? null,
      n8nExecutionId: result.n8nExecutionId ?? null,
      error: result.error ?? null,
    });
    await this.deps.audit.change({ principal: ANALYSIS, actorName: by }, async (record) => {
      this.deps.orm.em.persist(execution);
      record(`remediation.${status}`, 'automation_execution', execution.id, {
        action: execution.actionName,
        fingerprint: execution.fingerprint,
        dryRun: execution.dryRun,
        ...(result.error ? { error: result.error } : {}),
        ...(result.n8nExecutionId ? { n8nExecutionId: result.n8nExecutionId } : {}),
      });
    });
    if (status === 'failed') this.deps.logger.warn({ action: execution.actionName, error: result.error }, 'remediation failed');
  }

  /** Tells the channels that got the alert what is proposed, with a link to approve it. */
  private async askForApproval(
    execution: AutomationExecutionEntity,
    action: RemediationActionEntity,
    record: AlertRecordEntity,
  ): Promise<void> {
    const deliveries =
      record.deliveryIds.length > 0
        ? await this.deps.orm.em.find(DeliveryEntity, { id: { $in: record.deliveryIds } }, { fields: ['channel'] })
        : [];
    const channelIds = [...new Set(deliveries.map((d) => d.channel.id))];
    for (const channelId of channelIds) {
      const url = this.deps.links.url({ kind: 'remediation', executionId: execution.id }, `channel:${channelId}`, this.deps.linkTtlSeconds);
      const message = recordMessage(
        record,
        {
          remediation: `AlertAgent proposes running ${action.name}${action.dryRun ? ' (dry run)' : ''}: ${action.description}`,
          approve: url,
        },
        'alertagent-remediation',
      );
      await this.deps.deliveries
        .deliver(channelId, message, { source: 'remediation', idempotencyKey: `remediation:${execution.id}:${channelId}` })
        .catch((err) => this.deps.logger.warn({ err, channelId }, 'could not ask for a remediation approval'));
    }
  }
}
