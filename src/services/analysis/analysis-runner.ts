import { ANALYSIS_CALLBACK_PATH } from '../../shared/paths';
import { z } from 'zod';
import type { Config } from '../../config';
import type { AlertAnalysisEntity, AnalysisStatus } from '../../entities/analysis/alert-analysis.entity';
import type { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import type { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import { parseInput, UnauthenticatedError } from '../../errors';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { JobQueue } from '../queue/job-queue';
import { generateApiToken, hashApiToken, sameHash } from '../security/token-secret';
import { backoffDelay, type BackoffPolicy } from '../../shared/backoff';
import type { PublicUrl } from '../shared/public-url';
import type { AnalysisProviderService } from './analysis-provider.service';
import type { AnalysisRepository } from './analysis.repository';
import type { AnalysisContext } from './context-builder';

/** Something that acts on analysis results (smart routing, remediation), and what it offers the provider to choose from. */
export interface AnalysisConsumer {
  offer(
    record: AlertRecordEntity,
    providerId: string,
  ): Partial<Pick<AnalysisContext, 'teams' | 'actions'>> | Promise<Partial<Pick<AnalysisContext, 'teams' | 'actions'>>>;
  act(analysis: AlertAnalysisEntity, record: AlertRecordEntity): Promise<unknown>;
}
import { buildContext, promptFor } from './context-builder';
import { parseAnalysisAnswer } from './result-parser';

const CALLBACK_TOKEN_PREFIX = 'aac_';

const callbackBody = z.object({
  status: z.enum(['success', 'error']).default('success'),
  result: z.unknown().optional(),
  error: z.string().max(4000).optional(),
  executionId: z.union([z.string(), z.number()]).transform(String).optional(),
});

/** A failed try, as a value: whether another try can help, and whether it ran out of time. */
interface Failure {
  error: string;
  retryable: boolean;
  timedOut: boolean;
}

type Published = Pick<
  AlertAnalysisEntity,
  'id' | 'recordId' | 'providerId' | 'alertname' | 'fingerprint' | 'status' | 'attempts' | 'parsed' | 'rootCause' | 'confidence' | 'error'
>;

export interface AnalysisRunnerDeps {
  queue: JobQueue;
  events: EventBus;
  metrics: Metrics;
  providers: AnalysisProviderService;
  repository: AnalysisRepository;
  publicUrl: PublicUrl;
  settings: Config['analysis'];
  logger: Logger;
  consumers: AnalysisConsumer[];
}

/**
 * Runs analyses on the workers: each try as a queue job with per-provider rate limits, a timeout,
 * retries with backoff and a final failed or timed-out state. Results are parsed into a structured
 * record (or kept raw and marked), written back and streamed.
 */
export class AnalysisRunner {
  private readonly backoff: BackoffPolicy;
  /** Start times of recent calls per provider, for the per-minute limit of this process. */
  private readonly recentCalls = new Map<string, number[]>();

  constructor(private readonly deps: AnalysisRunnerDeps) {
    this.backoff = { baseMs: deps.settings.backoffBaseMs, maxMs: deps.settings.backoffMaxMs, jitter: 0.2 };
  }

  registerProcessor(): void {
    this.deps.queue.process('analysis.run', ({ data }) => this.runOnce(data.analysisId), {
      concurrency: this.deps.settings.concurrency,
    });
    this.deps.queue.process('analysis.timeout', async ({ data }) => {
      const analysis = await this.deps.repository.findById(data.analysisId);
      if (analysis?.status !== 'running' || analysis.attempts !== data.attempt) return;
      const provider = await this.deps.providers.find(analysis.providerId);
      await this.failed(analysis, provider, {
        error: `no callback within ${provider?.timeoutMs ?? '?'} ms`,
        retryable: true,
        timedOut: true,
      });
    });
  }

  async enqueue(analysis: Pick<AlertAnalysisEntity, 'id' | 'attempts'>, delayMs: number): Promise<void> {
    await this.deps.queue.enqueue(
      'analysis.run',
      { analysisId: analysis.id },
      { jobId: `analysis_${analysis.id}_${analysis.attempts}_${Date.now()}`, delayMs, attempts: 1 },
    );
  }

  /** One try: context, provider call, result or failure. Safe to run twice (the row's state decides). */
  async runOnce(analysisId: string): Promise<void> {
    const analysis = await this.deps.repository.findById(analysisId);
    if (analysis?.status !== 'queued') return;
    const provider = await this.deps.providers.find(analysis.providerId);
    if (!provider?.enabled) {
      await this.failed(analysis, provider, {
        error: provider ? `provider ${provider.name} is disabled` : 'the provider no longer exists',
        retryable: false,
        timedOut: false,
      });
      return;
    }
    const wait = this.rateLimitWait(provider);
    if (wait > 0) {
      // Over the provider's limit: try later without spending an attempt.
      await this.enqueue(analysis, wait);
      return;
    }
    const callbackToken = generateApiToken(CALLBACK_TOKEN_PREFIX);
    Object.assign(analysis, {
      status: 'running',
      attempts: analysis.attempts + 1,
      startedAt: new Date(),
      callbackTokenHash: hashApiToken(callbackToken),
    });
    await this.deps.repository.flush();
    await this.publish(analysis, provider);

    const record = await this.deps.repository.findRecord(analysis.recordId);
    if (!record) {
      await this.failed(analysis, provider, { error: 'the alert record no longer exists', retryable: false, timedOut: false });
      return;
    }
    const offers = Object.assign({}, ...(await Promise.all(this.deps.consumers.map((c) => c.offer(record, provider.id))))) as Partial<
      Pick<AnalysisContext, 'teams' | 'actions'>
    >;
    const context = buildContext(
      record,
      await this.deps.repository.contextRows(record, analysis, this.deps.settings.historyLimit),
      this.deps.settings.contextMaxBytes,
      offers,
    );
    const previous = await this.deps.repository.previousConversation(analysis);
    const started = performance.now();
    const result = await this.deps.providers.callable(provider).run({
      analysisId: analysis.id,
      context,
      prompt: promptFor(context),
      callback: { url: `${this.deps.publicUrl.get()}${ANALYSIS_CALLBACK_PATH}/${analysis.id}`, token: callbackToken },
      conversationId: previous?.conversationId ?? null,
      timeoutMs: provider.timeoutMs,
    });
    if (result.kind === 'failed') {
      await this.failed(analysis, provider, result);
      return;
    }
    const durationMs = performance.now() - started;
    this.deps.metrics.analysisDuration.observe({ provider: provider.name }, durationMs / 1000);
    if (result.kind === 'pending') {
      analysis.executionId = result.executionId ?? null;
      await this.deps.repository.flush();
      await this.deps.queue.enqueue(
        'analysis.timeout',
        { analysisId: analysis.id, attempt: analysis.attempts },
        { jobId: `analysis-timeout_${analysis.id}_${analysis.attempts}`, delayMs: provider.timeoutMs, attempts: 1 },
      );
      return;
    }
    await this.succeeded(analysis, provider, result.answer, { ...result, durationMs });
  }

  /** The n8n callback: authenticated by the analysis's one-off token; a repeat is answered without changing anything. */
  async callback(analysisId: string, token: string | undefined, body: unknown): Promise<{ recorded: boolean; status: AnalysisStatus }> {
    const analysis = await this.deps.repository.findById(analysisId);
    if (!analysis || !token || !analysis.callbackTokenHash || !sameHash(hashApiToken(token), analysis.callbackTokenHash)) {
      throw new UnauthenticatedError('not a callback token of this analysis');
    }
    const parsed = parseInput(callbackBody, body, 'body');
    if (analysis.status !== 'running') return { recorded: false, status: analysis.status };
    const provider = await this.deps.providers.find(analysis.providerId);
    const durationMs = analysis.startedAt ? Date.now() - analysis.startedAt.getTime() : null;
    if (parsed.executionId) analysis.executionId = parsed.executionId;
    if (parsed.status === 'error')
      await this.failed(analysis, provider, {
        error: `n8n workflow failed: ${parsed.error ?? 'no error given'}`,
        retryable: true,
        timedOut: false,
      });
    else await this.succeeded(analysis, provider, parsed.result, { durationMs });
    return { recorded: true, status: analysis.status };
  }

  private async succeeded(
    analysis: AlertAnalysisEntity,
    provider: AnalysisProviderEntity | null,
    answer: unknown,
    meta: {
      model?: string | null;
      tokens?: number | null;
      executionId?: string | null;
      conversationId?: string | null;
      durationMs: number | null;
    },
  ): Promise<void> {
    const parsed = parseAnalysisAnswer(answer);
    Object.assign(analysis, {
      status: 'succeeded',
      finishedAt: new Date(),
      error: null,
      rawAnswer: typeof answer === 'string' ? answer : JSON.stringify(answer ?? null),
      parsed: parsed.parsed,
      parseError: parsed.parsed ? null : parsed.reason,
      ...(parsed.parsed
        ? {
            ...parsed.result,
            category: parsed.result.category?.toLowerCase() ?? null,
            suggestedTeam: parsed.result.suggestedTeam?.toLowerCase() ?? null,
          }
        : {
            rootCause: null,
            confidence: null,
            suggestedActions: null,
            severityAssessment: null,
            category: null,
            suggestedTeam: null,
            remediation: null,
          }),
      model: meta.model ?? (provider?.config.model as string | undefined) ?? null,
      tokens: meta.tokens ?? null,
      durationMs: meta.durationMs === null ? null : Math.round(meta.durationMs * 100) / 100,
      executionId: meta.executionId ?? analysis.executionId ?? null,
      conversationId: meta.conversationId ?? analysis.conversationId ?? null,
    });
    await this.deps.repository.flush();
    this.deps.metrics.analysisRuns.inc({ provider: provider?.name ?? 'unknown', status: 'succeeded', parsed: String(parsed.parsed) });
    await this.publish(analysis, provider);
    if (parsed.parsed) await this.handOn(analysis);
  }

  /** Smart routing and remediation act on the result; the analysis stands whatever becomes of that. */
  private async handOn(analysis: AlertAnalysisEntity): Promise<void> {
    const record = await this.deps.repository.findRecord(analysis.recordId);
    if (!record) return;
    for (const consumer of this.deps.consumers) {
      try {
        await consumer.act(analysis, record);
      } catch (err) {
        this.deps.logger.warn({ err, analysisId: analysis.id }, 'could not act on an analysis');
      }
    }
  }

  /** A failed try: retried with backoff while attempts remain, else failed (or timed out) with the reason. */
  private async failed(analysis: AlertAnalysisEntity, provider: AnalysisProviderEntity | null, failure: Failure): Promise<void> {
    const retry = failure.retryable && analysis.attempts < this.deps.settings.maxAttempts;
    analysis.error = failure.error;
    if (retry) {
      analysis.status = 'queued';
      await this.deps.repository.flush();
      await this.enqueue(analysis, backoffDelay(analysis.attempts, this.backoff));
    } else {
      Object.assign(analysis, {
        status: failure.timedOut ? 'timed_out' : 'failed',
        finishedAt: new Date(),
        error: failure.retryable ? `gave up after ${analysis.attempts} attempts: ${failure.error}` : failure.error,
      });
      await this.deps.repository.flush();
      this.deps.metrics.analysisRuns.inc({ provider: provider?.name ?? 'unknown', status: analysis.status, parsed: 'false' });
      this.deps.logger.warn({ analysisId: analysis.id, provider: provider?.name, error: analysis.error }, 'analysis failed');
    }
    await this.publish(analysis, provider);
  }

  private rateLimitWait(provider: AnalysisProviderEntity): number {
    const now = Date.now();
    const calls = (this.recentCalls.get(provider.id) ?? []).filter((t) => t > now - 60_000);
    if (calls.length >= provider.rateLimitPerMinute) {
      this.recentCalls.set(provider.id, calls);
      return calls[0] + 60_000 - now + 10;
    }
    calls.push(now);
    this.recentCalls.set(provider.id, calls);
    return 0;
  }

  async publish(analysis: Published, provider?: AnalysisProviderEntity | null): Promise<void> {
    const name = provider?.name ?? (await this.deps.providers.nameOf(analysis.providerId));
    await this.deps.events
      .publish('analysis.event', {
        analysisId: analysis.id,
        recordId: analysis.recordId,
        providerId: analysis.providerId,
        providerName: name,
        alertname: analysis.alertname,
        fingerprint: analysis.fingerprint,
        status: analysis.status,
        attempts: analysis.attempts,
        parsed: analysis.parsed ?? null,
        rootCause: analysis.rootCause ?? null,
        confidence: analysis.confidence ?? null,
        error: analysis.error ?? null,
        at: new Date().toISOString(),
      })
      .catch((err) => this.deps.logger.warn({ err }, 'could not publish an analysis event'));
  }
}
