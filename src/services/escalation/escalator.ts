import type { MikroORM } from '@mikro-orm/core';
import { AlertAnalysisEntity } from '../../entities/analysis/alert-analysis.entity';
import { AlertAckEntity, EscalationEntity } from '../../entities/escalation/escalation.entity';
import { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import { NotFoundError } from '../../errors';
import type { DeliveryService } from '../channels/delivery.service';
import type { ChannelMessage } from '../channels/message';
import { recordMessage } from '../channels/record-message';
import { alertFlagContext, type FlagResolver } from '../flags/flag-resolver';
import type { AlertmanagerAlert } from '../gateway/alertmanager-payload';
import type { Logger } from '../../shared/logger';
import type { JobQueue } from '../queue/job-queue';
import { PeriodicTask } from '../shared/periodic-task';
import type { AckLinks } from './ack-links';
import type { CompiledEscalationPolicy, EscalationPolicyService } from './escalation-policy.service';

/** An alert just told for the first time, as the gateway hands it over. */
export interface FirstNotice {
  recordId: string;
  alert: AlertmanagerAlert;
  at: Date;
}

/** A sweep wakes escalations whose job was lost this long after they were due. */
const LOST_JOB_SLACK_MS = 5_000;
const SWEEP_BATCH = 200;

export interface EscalatorDeps {
  orm: MikroORM;
  queue: JobQueue;
  policies: Pick<EscalationPolicyService, 'policyFor' | 'byId'>;
  deliveries: Pick<DeliveryService, 'deliver'>;
  flags: FlagResolver;
  links: AckLinks;
  ackLinkTtlSeconds: number;
  logger: Logger;
}

/**
 * Escalation (flag analysis.escalation): a firing alert that a policy covers starts a timer at its
 * first notice; while nobody acknowledges it and it still fires, each level's channels are told in
 * turn, with the alert's analysis and a link to acknowledge. Timers are rows, woken by queue jobs
 * and, should a job be lost, by a sweep; each level is claimed by a compare-and-set of the row,
 * so across replicas and restarts it is sent once.
 */
export class Escalator {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: EscalatorDeps) {
    this.sweeper = new PeriodicTask('escalation', () => this.sweep(), deps.logger, this.deps.orm);
  }

  /** After the first send of a receipt: starts the timers of the firing alerts a policy covers. Never throws. */
  async track(notices: FirstNotice[]): Promise<void> {
    const rows: Array<{ notice: FirstNotice; policy: CompiledEscalationPolicy }> = [];
    for (const notice of notices) {
      if (notice.alert.status !== 'firing') continue;
      const policy = this.deps.policies.policyFor(notice.alert.labels);
      if (!policy || !this.deps.flags.isEnabled('analysis.escalation', alertFlagContext(notice.alert.labels.cluster, notice.alert.labels)))
        continue;
      rows.push({ notice, policy });
    }
    if (rows.length === 0) return;
    try {
      const connection = this.deps.orm.em.getConnection();
      for (const { notice, policy } of rows) {
        const nextAt = new Date(notice.at.getTime() + policy.levels[0].delaySeconds * 1000);
        const started = await connection.execute(
          `insert into "escalation" ("fingerprint", "starts_at", "policy_id", "record_id", "alertname", "level", "state", "next_at", "first_notified_at", "updated_at")
           values (?, ?, ?, ?, ?, 0, 'waiting', ?, ?, ?) on conflict ("fingerprint", "starts_at") do nothing returning "fingerprint"`,
          [
            notice.alert.fingerprint,
            new Date(notice.alert.startsAt),
            policy.id,
            notice.recordId,
            (notice.alert.labels.alertname ?? '').slice(0, 200),
            nextAt,
            notice.at,
            notice.at,
          ],
        );
        // A repeat of an episode already on its way changes nothing.
        if (started.length === 1) await this.wake(notice.alert.fingerprint, new Date(notice.alert.startsAt), nextAt.getTime() - Date.now());
      }
    } catch (err) {
      this.deps.logger.warn({ err, alerts: rows.length }, 'could not start escalation timers; nothing escalates for these alerts');
    }
  }

  registerProcessor(): void {
    this.deps.queue.process('escalation.step', ({ data }) => this.step(data.fingerprint, new Date(data.startsAt)));
  }

  startSweeper(intervalMs: number): void {
    this.sweeper.start(intervalMs);
  }

  stop(): void {
    this.sweeper.stop();
  }

  /** One escalation, if due: ends it when acknowledged, resolved, switched off or out of levels, else sends its next level. */
  async step(fingerprint: string, startsAt: Date, now = new Date()): Promise<void> {
    const em = this.deps.orm.em;
    const row = await em.findOne(EscalationEntity, { fingerprint, startsAt });
    if (row?.state !== 'waiting' || !row.nextAt) return;
    if (row.nextAt.getTime() > now.getTime() + 50) {
      await this.wake(fingerprint, startsAt, row.nextAt.getTime() - now.getTime());
      return;
    }
    const [ack, resolved, record] = await Promise.all([
      em.findOne(AlertAckEntity, { fingerprint, startsAt }, { fields: ['fingerprint'] }),
      em.findOne(AlertRecordEntity, { fingerprint, startsAt, status: 'resolved' }, { fields: ['id'] }),
      em.findOne(AlertRecordEntity, { id: row.recordId }),
    ]);
    const policy = this.deps.policies.byId(row.policyId);
    const end = ack
      ? 'acknowledged'
      : resolved
        ? 'resolved'
        : !record || !policy || !this.deps.flags.isEnabled('analysis.escalation', alertFlagContext(record.cluster, record.labels))
          ? 'stopped'
          : null;
    if (end || !policy || !record) {
      await em.nativeUpdate(
        EscalationEntity,
        { fingerprint, startsAt, state: 'waiting', level: row.level },
        { state: end ?? 'stopped', nextAt: null, updatedAt: now },
      );
      return;
    }
    const level = policy.levels[row.level];
    if (!level) {
      await em.nativeUpdate(
        EscalationEntity,
        { fingerprint, startsAt, state: 'waiting', level: row.level },
        { state: 'exhausted', nextAt: null, updatedAt: now },
      );
      return;
    }
    const following = policy.levels[row.level + 1];
    const nextAt = following ? new Date(now.getTime() + following.delaySeconds * 1000) : null;
    // Claims this level: only the replica whose update lands sends it.
    const claimed = await em.nativeUpdate(
      EscalationEntity,
      { fingerprint, startsAt, state: 'waiting', level: row.level },
      { level: row.level + 1, nextAt, state: following ? 'waiting' : 'exhausted', updatedAt: now },
    );
    if (claimed !== 1) return;
    const message = await this.noticeOf(record, policy, row.level + 1, row.firstNotifiedAt, now);
    for (const channelId of level.channelIds) {
      const withLink = this.withAckLink(message, record, channelId, now);
      try {
        await this.deps.deliveries.deliver(channelId, withLink, {
          source: 'escalation',
          idempotencyKey: `escalation:${fingerprint}:${startsAt.toISOString()}:${row.level + 1}:${channelId}`,
        });
      } catch (err) {
        if (!(err instanceof NotFoundError))
          this.deps.logger.warn({ err, fingerprint, channelId }, 'could not hand an escalation to delivery');
      }
    }
    this.deps.logger.info({ fingerprint, alertname: record.alertname, policy: policy.name, level: row.level + 1 }, 'alert escalated');
    if (nextAt) await this.wake(fingerprint, startsAt, nextAt.getTime() - now.getTime());
  }

  private async sweep(): Promise<void> {
    const due = await this.deps.orm.em.find(
      EscalationEntity,
      { state: 'waiting', nextAt: { $lt: new Date(Date.now() - LOST_JOB_SLACK_MS) } },
      { limit: SWEEP_BATCH, orderBy: { nextAt: 'asc' } },
    );
    for (const row of due)
      await this.step(row.fingerprint, row.startsAt).catch((err) =>
        this.deps.logger.warn({ err, fingerprint: row.fingerprint }, 'escalation step failed'),
      );
  }

  private async wake(fingerprint: string, startsAt: Date, delayMs: number): Promise<void> {
    const at = startsAt.toISOString();
    await this.deps.queue.enqueue(
      'escalation.step',
      { fingerprint, startsAt: at },
      {
        jobId: `escalation_${fingerprint}_${startsAt.getTime()}_${Date.now() + Math.max(0, delayMs)}`,
        delayMs: Math.max(0, delayMs),
        attempts: 1,
      },
    );
  }

  /** The alert as first told, saying it was not acknowledged in time, with what its analysis found. */
  private async noticeOf(
    record: AlertRecordEntity,
    policy: CompiledEscalationPolicy,
    level: number,
    firstNotifiedAt: Date,
    now: Date,
  ): Promise<ChannelMessage> {
    const analysis = await this.deps.orm.em.findOne(
      AlertAnalysisEntity,
      { fingerprint: record.fingerprint, status: 'succeeded', parsed: true },
      { orderBy: { finishedAt: 'desc' } },
    );
    const minutes = Math.max(1, Math.round((now.getTime() - firstNotifiedAt.getTime()) / 60_000));
    const annotations: Record<string, string> = {
      escalation: `Not acknowledged ${minutes} min after the first notice: level ${level} of ${policy.levels.length} of escalation policy ${policy.name}`,
      ...(analysis
        ? {
            analysis_root_cause: analysis.rootCause ?? '',
            analysis_confidence: analysis.confidence == null ? '' : analysis.confidence.toFixed(2),
            ...(analysis.suggestedActions?.length ? { analysis_suggested_actions: analysis.suggestedActions.join('; ') } : {}),
          }
        : {}),
    };
    return recordMessage(record, annotations, `escalation:${policy.name}`);
  }

  private withAckLink(message: ChannelMessage, record: AlertRecordEntity, channelId: string, now: Date): ChannelMessage {
    const url = this.deps.links.url(
      { kind: 'alert', fingerprint: record.fingerprint, startsAt: record.startsAt.toISOString() },
      `channel:${channelId}`,
      this.deps.ackLinkTtlSeconds,
      now,
    );
    const annotations = { ...message.commonAnnotations, acknowledge: url };
    return {
      ...message,
      commonAnnotations: annotations,
      alerts: message.alerts.map((a) => ({ ...a, annotations: { ...a.annotations, acknowledge: url } })),
    };
  }
}
