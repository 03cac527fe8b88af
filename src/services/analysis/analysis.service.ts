import { UniqueConstraintViolationException } from '@mikro-orm/core';
import { ANALYSIS_STATUSES, AlertAnalysisEntity, type AnalysisStatus } from '../../entities/analysis/alert-analysis.entity';
import { BadUserInputError, ConflictError, NotFoundError } from '../../errors';
import { alertFlagContext, type FlagResolver } from '../flags/flag-resolver';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { JobQueue } from '../queue/job-queue';
import type { Actor, AuditService } from '../security/audit.service';
import type { Page, PageRequest } from '../../domain/page';
import { MicroBatcher } from '../shared/micro-batcher';
import type { AnalysisProviderService } from './analysis-provider.service';
import type { AnalysisRunner } from './analysis-runner';
import type { AnalysisFilter, AnalysisRepository, AnalysisRequest, AnalysisTrend } from './analysis.repository';

export type { AnalysisFilter, AnalysisRequest, AnalysisTrend } from './analysis.repository';

function statusOf(text: string | null | undefined): AnalysisStatus | undefined {
  if (text == null) return undefined;
  if (!(ANALYSIS_STATUSES as readonly string[]).includes(text))
    throw BadUserInputError.forField('status', `expected one of ${ANALYSIS_STATUSES.join(', ')}`);
  return text as AnalysisStatus;
}

export interface AnalysisServiceDeps {
  queue: JobQueue;
  metrics: Metrics;
  audit: AuditService;
  flags: FlagResolver;
  providers: AnalysisProviderService;
  repository: AnalysisRepository;
  runner: AnalysisRunner;
  logger: Logger;
}

/**
 * Asynchronous AI analysis of alerts, as the gateway and the API ask for it: after delivery (when
 * the flag is on for the alert), by hand, again after a failure; feedback on results. The runs
 * themselves are the runner's, on the workers; nothing here is on the delivery path.
 */
export class AnalysisService {
  private readonly requests = new MicroBatcher<AnalysisRequest[], void>((batches) => this.storeRequests(batches), {
    maxBatch: 200,
    maxConcurrent: 1,
    lingerMs: 100,
  });

  constructor(private readonly deps: AnalysisServiceDeps) {}

  /**
   * After delivery: analyses for these records, when the flag is on for their alerts. Requests
   * arriving together are stored by one statement and queued in one round trip, so asking costs
   * the gateway little however many alerts flow. Never throws to the caller: an analysis that
   * cannot be queued is logged (the alert's delivery is done either way).
   */
  async requestAfterDelivery(requests: AnalysisRequest[]): Promise<void> {
    const wanted = requests.filter((r) => this.deps.flags.isEnabled('analysis.enabled', alertFlagContext(r.labels?.cluster, r.labels)));
    if (wanted.length === 0) return;
    await this.requests
      .submit(wanted.map(({ labels: _labels, ...request }) => request))
      .catch((err) => this.deps.logger.warn({ err, count: wanted.length }, 'could not queue analyses'));
  }

  private async storeRequests(batches: AnalysisRequest[][]): Promise<undefined[]> {
    const rows = await this.deps.repository.insertQueued(batches.flat());
    await this.deps.queue.enqueueMany(
      'analysis.run',
      rows.map((row) => ({ data: { analysisId: row.id }, options: { jobId: `analysis_${row.id}_0`, attempts: 1 } })),
    );
    for (const row of rows)
      void this.deps.runner.publish({
        ...row,
        status: 'queued',
        attempts: 0,
        parsed: null,
        rootCause: null,
        confidence: null,
        error: null,
      });
    return batches.map(() => undefined);
  }

  /** A manual run (GraphQL): a new run of this record by this provider, even if one ran before. */
  async analyze(recordId: string, providerId: string): Promise<AlertAnalysisEntity> {
    await this.deps.providers.get(providerId);
    return this.start(recordId, providerId);
  }

  /** Another try of a failed or timed-out analysis. */
  async retry(id: string): Promise<AlertAnalysisEntity> {
    const analysis = await this.deps.repository.get(id);
    if (analysis.status !== 'failed' && analysis.status !== 'timed_out')
      throw new ConflictError(`analysis ${id} is ${analysis.status}; only failed or timed-out analyses are retried`);
    return this.start(analysis.recordId, analysis.providerId);
  }

  /** A fresh run of this record by this provider (the row is reused); one already queued or running is left as it is. */
  private async start(recordId: string, providerId: string): Promise<AlertAnalysisEntity> {
    const { repository } = this.deps;
    const record = NotFoundError.assert(await repository.findRecord(recordId), 'alert record', recordId);
    let analysis = await repository.findRun(recordId, providerId);
    if (analysis && (analysis.status === 'queued' || analysis.status === 'running')) return analysis;
    analysis ??= Object.assign(new AlertAnalysisEntity(), {
      recordId,
      providerId,
      alertname: record.alertname,
      fingerprint: record.fingerprint,
    });
    Object.assign(analysis, {
      status: 'queued',
      attempts: 0,
      queuedAt: new Date(),
      startedAt: null,
      finishedAt: null,
      error: null,
      parsed: null,
      parseError: null,
      rootCause: null,
      confidence: null,
      suggestedActions: null,
      severityAssessment: null,
      category: null,
      suggestedTeam: null,
      followUpChannelIds: null,
      remediation: null,
      rawAnswer: null,
      tokens: null,
      durationMs: null,
      callbackTokenHash: null,
    });
    try {
      await repository.save(analysis);
    } catch (err) {
      // Two replicas asked at once: the other one's row stands.
      if (err instanceof UniqueConstraintViolationException)
        return NotFoundError.assert(await repository.findRun(recordId, providerId, true), 'analysis', recordId);
      throw err;
    }
    await this.deps.runner.enqueue(analysis, 0);
    await this.deps.runner.publish(analysis);
    return analysis;
  }

  get(id: string): Promise<AlertAnalysisEntity> {
    return this.deps.repository.get(id);
  }

  /** Analyses, filtered; a status is one of ANALYSIS_STATUSES or refused. */
  list(filter: Omit<AnalysisFilter, 'status'> & { status?: string | null }, page: PageRequest): Promise<Page<AlertAnalysisEntity>> {
    return this.deps.repository.list({ ...filter, status: statusOf(filter.status) }, page);
  }

  /** Per alert name and day over the last 1 to 366 days, with the share of feedback that said useful. */
  async trends(alertname: string | undefined, days: number): Promise<Array<AnalysisTrend & { feedbackScore: number | null }>> {
    if (!Number.isInteger(days) || days < 1 || days > 366) throw BadUserInputError.forField('days', 'expected 1 to 366');
    return (await this.deps.repository.trends(alertname, days)).map((t) => ({
      ...t,
      feedbackScore: t.useful + t.notUseful > 0 ? t.useful / (t.useful + t.notUseful) : null,
    }));
  }

  async feedback(id: string, input: { useful: boolean; note?: string | null }, actor: Actor): Promise<AlertAnalysisEntity> {
    const note = input.note?.trim() ? input.note.trim().slice(0, 4000) : null;
    const analysis = await this.deps.repository.get(id);
    if (analysis.status !== 'succeeded') throw new ConflictError(`analysis ${id} is ${analysis.status}; feedback is for finished analyses`);
    await this.deps.audit.change(actor, async (record) => {
      Object.assign(analysis, {
        feedbackUseful: input.useful,
        feedbackNote: note,
        feedbackBy: actor.principal.name,
        feedbackAt: new Date(),
      });
      record('analysis.feedback', 'analysis', id, { useful: input.useful });
    });
    this.deps.metrics.analysisFeedback.inc({
      provider: await this.deps.providers.nameOf(analysis.providerId),
      verdict: input.useful ? 'useful' : 'not_useful',
    });
    return analysis;
  }
}
