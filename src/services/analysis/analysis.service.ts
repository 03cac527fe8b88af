import { RequestContext, UniqueConstraintViolationException, type MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import type { Config } from '../../config';
import { AlertAnalysisEntity, type AnalysisStatus } from '../../entities/analysis/alert-analysis.entity';
import { AnalysisProviderEntity, PROVIDER_TYPES } from '../../entities/analysis/analysis-provider.entity';
import { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import { GatewayRouteEntity } from '../../entities/gateway/gateway-route.entity';
import { ConflictError, NotFoundError, parseInput, UnauthenticatedError } from '../../errors';
import { alertFlagContext, type FlagResolver } from '../flags/flag-resolver';
import type { Logger } from '../observability/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import type { JobQueue } from '../queue/job-queue';
import type { Actor, AuditService } from '../security/audit.service';
import type { PageRequest } from '../security/audit.repository';
import type { SecretBox } from '../security/secret-box';
import { generateApiToken, hashApiToken, sameHash } from '../security/token-secret';
import { backoffDelay, type BackoffPolicy } from '../shared/backoff';
import { MicroBatcher } from '../shared/micro-batcher';
import type { PublicUrl } from '../shared/public-url';
import { buildContext, promptFor } from './context-builder';
import { DifyProvider, difyConfigSchema } from './providers/dify.provider';
import { N8nProvider, n8nConfigSchema } from './providers/n8n.provider';
import { OpenAIProvider, openaiConfigSchema } from './providers/openai.provider';
import { ProviderError, type AnalysisProvider, type ProviderOutcome } from './providers/provider';
import { parseAnalysisAnswer } from './result-parser';
import { ProviderSettings } from './provider-settings';
import type { PeerClient, TlsOptions } from '../shared/http-post';
import { skipsVerification, tlsOf } from '../shared/tls-options';
import type { EgressPolicy } from '../security/egress-policy';

export const ANALYSIS_CALLBACK_PATH = '/api/v1/analysis/callback';
const CALLBACK_TOKEN_PREFIX = 'aac_';

const providerInput = z.strictObject({
  name: z.string().trim().min(1, 'must not be empty').max(100),
  type: z.enum(PROVIDER_TYPES),
  config: z.record(z.string(), z.unknown()),
  /** Omitted on update = unchanged; an empty string removes it. */
  secret: z.string().max(4096).optional(),
  rateLimitPerMinute: z.number().int().min(1).max(100_000).default(60),
  timeoutMs: z.number().int().min(100).max(30 * 60_000).default(60_000),
  enabled: z.boolean().default(true),
});
export type ProviderInput = z.input<typeof providerInput>;

const callbackBody = z.object({
  status: z.enum(['success', 'error']).default('success'),
  result: z.unknown().optional(),
  error: z.string().max(4000).optional(),
  executionId: z.union([z.string(), z.number()]).transform(String).optional(),
});

/** What the gateway asks for: a record (with what identifies its alert) and the provider its route names. */
export interface AnalysisRequest {
  recordId: string;
  providerId: string;
  alertname: string;
  fingerprint: string;
  /** The alert's labels: flag rollouts can target its cluster, team and severity. */
  labels?: Record<string, string>;
}

export interface AnalysisFilter {
  recordId?: string;
  status?: AnalysisStatus;
  alertname?: string;
}

export interface AnalysisTrend {
  alertname: string;
  day: string;
  analyses: number;
  meanConfidence: number | null;
  useful: number;
  notUseful: number;
}

/**
 * Asynchronous AI analysis of alerts. The gateway asks for analyses after delivery; each runs as
 * queue jobs (BullMQ or in-process) with per-provider rate limits, timeouts, retries with
 * backoff and a final failed or timed-out state; nothing here is on the delivery path. Results
 * are parsed into a structured record (or kept raw and marked), written back, and streamed.
 */
export class AnalysisService {
  private readonly backoff: BackoffPolicy;
  private readonly providerSettings: ProviderSettings;
  /** Start times of recent calls per provider, for the per-minute limit of this process. */
  private readonly recentCalls = new Map<string, number[]>();
  private readonly requests = new MicroBatcher<AnalysisRequest[], void>((batches) => this.storeRequests(batches), { maxBatch: 200, maxConcurrent: 1, lingerMs: 100 });
  /** Provider names for events, refreshed whenever a provider is read. */
  private readonly providerNames = new Map<string, string>();

  constructor(
    private readonly orm: MikroORM,
    private readonly queue: JobQueue,
    private readonly events: EventBus,
    private readonly metrics: Metrics,
    private readonly secrets: SecretBox,
    private readonly audit: AuditService,
    private readonly flags: FlagResolver,
    private readonly publicUrl: PublicUrl,
    private readonly settings: Config['analysis'],
    private readonly logger: Logger,
    private readonly peers: PeerClient,
    egress: Pick<EgressPolicy, 'assertUrl'>,
  ) {
    this.backoff = { baseMs: settings.backoffBaseMs, maxMs: settings.backoffMaxMs, jitter: 0.2 };
    this.providerSettings = new ProviderSettings(secrets, egress);
  }

  // ── providers ──────────────────────────────────────────────────────────────

  async listProviders(): Promise<AnalysisProviderEntity[]> {
    const providers = await this.orm.em.find(AnalysisProviderEntity, {}, { orderBy: { name: 'asc' } });
    for (const p of providers) this.providerNames.set(p.id, p.name);
    return providers;
  }

  async getProvider(id: string): Promise<AnalysisProviderEntity> {
    return NotFoundError.assert(await this.orm.em.findOne(AnalysisProviderEntity, { id }), 'analysis provider', id);
  }

  async saveProvider(id: string | null, input: ProviderInput, actor: Actor): Promise<AnalysisProviderEntity> {
    const parsed = parseInput(providerInput, input, 'input');
    const provider = id ? await this.getProvider(id) : new AnalysisProviderEntity();
    this.providerSettings.apply(provider, parsed.type, parsed.config, id !== null);
    Object.assign(provider, { name: parsed.name, type: parsed.type, rateLimitPerMinute: parsed.rateLimitPerMinute, timeoutMs: parsed.timeoutMs, enabled: parsed.enabled, updatedAt: new Date() });
    if (parsed.secret !== undefined) provider.secret = parsed.secret === '' ? null : this.secrets.seal(parsed.secret, `analysis-provider:${provider.id}`);
    try {
      await this.audit.change(actor, async (record) => {
        this.orm.em.persist(provider);
        record(id ? 'analysis-provider.updated' : 'analysis-provider.created', 'analysis-provider', provider.id, { name: provider.name, type: provider.type });
        if (skipsVerification(provider.config.tls as TlsOptions | undefined)) record('tls.verification-disabled', 'analysis-provider', provider.id, { name: provider.name });
      });
    } catch (err) {
      if (err instanceof UniqueConstraintViolationException) throw new ConflictError(`an analysis provider named ${parsed.name} already exists`);
      throw err;
    }
    return provider;
  }

  async removeProvider(id: string, actor: Actor): Promise<void> {
    const provider = await this.getProvider(id);
    const routes = await this.orm.em.find(GatewayRouteEntity, { analysisProviderId: id });
    if (routes.length > 0) throw new ConflictError(`routes ${routes.map((r) => r.name).join(', ')} send alerts to this provider; change them first`);
    await this.audit.change(actor, async (record) => {
      this.orm.em.remove(provider);
      record('analysis-provider.deleted', 'analysis-provider', id, { name: provider.name });
    });
  }

  // ── requests ───────────────────────────────────────────────────────────────

  /**
   * After delivery: analyses for these records, when the flag is on. Requests arriving together
   * are stored by one statement and queued in one round trip, so asking costs the gateway
   * little however many alerts flow. Never throws to the caller: an analysis that cannot be
   * queued is logged (the alert's delivery is done either way).
   */
  async requestAfterDelivery(requests: AnalysisRequest[]): Promise<void> {
    const wanted = requests.filter((r) => this.flags.isEnabled('analysis.enabled', alertFlagContext(r.labels?.cluster, r.labels)));
    if (wanted.length === 0) return;
    await this.requests.submit(wanted.map(({ labels: _labels, ...request }) => request)).catch((err) => this.logger.warn({ err, count: wanted.length }, 'could not queue analyses'));
  }

  private async storeRequests(batches: AnalysisRequest[][]): Promise<void[]> {
    const requests = batches.flat();
    const now = new Date();
    const rows: Array<{ id: string; record_id: string; provider_id: string; alertname: string; fingerprint: string }> = await this.orm.em.getConnection().execute(
      `insert into "alert_analysis" ("id", "record_id", "provider_id", "alertname", "fingerprint", "status", "attempts", "queued_at", "created_at")
       values ${requests.map(() => "(?, ?, ?, ?, ?, 'queued', 0, ?, ?)").join(', ')}
       on conflict ("record_id", "provider_id") do nothing
       returning "id", "record_id", "provider_id", "alertname", "fingerprint"`,
      requests.flatMap((r) => [randomUUID(), r.recordId, r.providerId, r.alertname.slice(0, 200), r.fingerprint, now, now]),
    );
    await this.queue.enqueueMany('analysis.run', rows.map((row) => ({ data: { analysisId: row.id }, options: { jobId: `analysis_${row.id}_0`, attempts: 1 } })));
    for (const row of rows) {
      const queued = { id: row.id, recordId: row.record_id, providerId: row.provider_id, alertname: row.alertname, fingerprint: row.fingerprint, status: 'queued' as const, attempts: 0, parsed: null, rootCause: null, confidence: null, error: null };
      void this.publish(queued);
    }
    return batches.map(() => undefined);
  }

  /** A manual run (GraphQL): a new run of this record by this provider, even if one ran before. */
  async analyze(recordId: string, providerId: string): Promise<AlertAnalysisEntity> {
    await this.getProvider(providerId);
    return this.start(recordId, providerId);
  }

  /** Another try of a failed or timed-out analysis. */
  async retry(id: string): Promise<AlertAnalysisEntity> {
    const analysis = await this.get(id);
    if (analysis.status !== 'failed' && analysis.status !== 'timed_out') throw new ConflictError(`analysis ${id} is ${analysis.status}; only failed or timed-out analyses are retried`);
    return this.start(analysis.recordId, analysis.providerId);
  }

  /** A fresh run of this record by this provider (the row is reused); one already queued or running is left as it is. */
  private async start(recordId: string, providerId: string): Promise<AlertAnalysisEntity> {
    const em = this.orm.em;
    const record = NotFoundError.assert(await em.findOne(AlertRecordEntity, { id: recordId }), 'alert record', recordId);
    let analysis = await em.findOne(AlertAnalysisEntity, { recordId, providerId });
    if (analysis && (analysis.status === 'queued' || analysis.status === 'running')) return analysis;
    analysis ??= Object.assign(new AlertAnalysisEntity(), { recordId, providerId, alertname: record.alertname, fingerprint: record.fingerprint });
    Object.assign(analysis, {
      status: 'queued', attempts: 0, queuedAt: new Date(), startedAt: null, finishedAt: null, error: null, parsed: null, parseError: null, rootCause: null,
      confidence: null, suggestedActions: null, severityAssessment: null, rawAnswer: null, tokens: null, durationMs: null, callbackTokenHash: null,
    });
    try {
      await em.persistAndFlush(analysis);
    } catch (err) {
      // Two replicas asked at once: the other one's row stands.
      if (err instanceof UniqueConstraintViolationException) return NotFoundError.assert(await em.fork().findOne(AlertAnalysisEntity, { recordId, providerId }), 'analysis', recordId);
      throw err;
    }
    await this.enqueue(analysis, 0);
    await this.publish(analysis);
    return analysis;
  }

  private async enqueue(analysis: AlertAnalysisEntity, delayMs: number): Promise<void> {
    await this.queue.enqueue('analysis.run', { analysisId: analysis.id }, { jobId: `analysis_${analysis.id}_${analysis.attempts}_${Date.now()}`, delayMs, attempts: 1 });
  }

  // ── the worker side ────────────────────────────────────────────────────────

  registerProcessor(): void {
    this.queue.process('analysis.run', ({ data }) => RequestContext.create(this.orm.em, () => this.runOnce(data.analysisId)), { concurrency: this.settings.concurrency });
    this.queue.process('analysis.timeout', ({ data }) =>
      RequestContext.create(this.orm.em, async () => {
        const analysis = await this.orm.em.findOne(AlertAnalysisEntity, { id: data.analysisId });
        if (!analysis || analysis.status !== 'running' || analysis.attempts !== data.attempt) return;
        const provider = await this.orm.em.findOne(AnalysisProviderEntity, { id: analysis.providerId });
        await this.failed(analysis, provider, new ProviderError(`no callback within ${provider?.timeoutMs ?? '?'} ms`, true, true));
      }),
    );
  }

  /** One try: context, provider call, result or failure. Safe to run twice (the row's state decides). */
  async runOnce(analysisId: string): Promise<void> {
    const em = this.orm.em;
    const analysis = await em.findOne(AlertAnalysisEntity, { id: analysisId });
    if (!analysis || analysis.status !== 'queued') return;
    const provider = await em.findOne(AnalysisProviderEntity, { id: analysis.providerId });
    if (!provider || !provider.enabled) {
      await this.failed(analysis, provider, new ProviderError(provider ? `provider ${provider.name} is disabled` : 'the provider no longer exists', false));
      return;
    }
    const wait = this.rateLimitWait(provider);
    if (wait > 0) {
      // Over the provider's limit: try later without spending an attempt.
      await this.enqueue(analysis, wait);
      return;
    }
    const callbackToken = generateApiToken(CALLBACK_TOKEN_PREFIX);
    Object.assign(analysis, { status: 'running', attempts: analysis.attempts + 1, startedAt: new Date(), callbackTokenHash: hashApiToken(callbackToken) });
    await em.flush();
    await this.publish(analysis, provider);

    const record = await em.findOne(AlertRecordEntity, { id: analysis.recordId });
    if (!record) {
      await this.failed(analysis, provider, new ProviderError('the alert record no longer exists', false));
      return;
    }
    const context = await this.contextFor(record, analysis);
    const previous = await em.findOne(AlertAnalysisEntity, { fingerprint: analysis.fingerprint, providerId: provider.id, conversationId: { $ne: null }, id: { $ne: analysis.id } }, { orderBy: { createdAt: 'desc' } });
    const started = performance.now();
    let outcome: ProviderOutcome;
    try {
      outcome = await this.providerFor(provider).run({
        analysisId: analysis.id,
        context,
        prompt: promptFor(context),
        callback: { url: `${this.publicUrl.get()}${ANALYSIS_CALLBACK_PATH}/${analysis.id}`, token: callbackToken },
        conversationId: previous?.conversationId ?? null,
        timeoutMs: provider.timeoutMs,
      });
    } catch (err) {
      const failure = err instanceof ProviderError ? err : new ProviderError(`provider call failed: ${(err as Error).message}`, true);
      await this.failed(analysis, provider, failure);
      return;
    }
    const durationMs = performance.now() - started;
    this.metrics.analysisDuration.observe({ provider: provider.name }, durationMs / 1000);
    if (outcome.kind === 'pending') {
      analysis.executionId = outcome.executionId ?? null;
      await em.flush();
      await this.queue.enqueue('analysis.timeout', { analysisId: analysis.id, attempt: analysis.attempts }, { jobId: `analysis-timeout_${analysis.id}_${analysis.attempts}`, delayMs: provider.timeoutMs, attempts: 1 });
      return;
    }
    await this.succeeded(analysis, provider, outcome.answer, { ...outcome, durationMs });
  }

  /** The n8n callback: authenticated by the analysis's one-off token; a repeat is answered without changing anything. */
  async callback(analysisId: string, token: string | undefined, body: unknown): Promise<{ recorded: boolean; status: AnalysisStatus }> {
    const em = this.orm.em;
    const analysis = await em.findOne(AlertAnalysisEntity, { id: analysisId });
    if (!analysis || !token || !analysis.callbackTokenHash || !sameHash(hashApiToken(token), analysis.callbackTokenHash)) {
      throw new UnauthenticatedError('not a callback token of this analysis');
    }
    const parsed = parseInput(callbackBody, body, 'body');
    if (analysis.status !== 'running') return { recorded: false, status: analysis.status };
    const provider = await em.findOne(AnalysisProviderEntity, { id: analysis.providerId });
    const durationMs = analysis.startedAt ? Date.now() - analysis.startedAt.getTime() : null;
    if (parsed.executionId) analysis.executionId = parsed.executionId;
    if (parsed.status === 'error') await this.failed(analysis, provider, new ProviderError(`n8n workflow failed: ${parsed.error ?? 'no error given'}`, true));
    else await this.succeeded(analysis, provider, parsed.result, { durationMs });
    return { recorded: true, status: analysis.status };
  }

  private async succeeded(analysis: AlertAnalysisEntity, provider: AnalysisProviderEntity | null, answer: unknown, meta: { model?: string | null; tokens?: number | null; executionId?: string | null; conversationId?: string | null; durationMs: number | null }): Promise<void> {
    const parsed = parseAnalysisAnswer(answer);
    Object.assign(analysis, {
      status: 'succeeded',
      finishedAt: new Date(),
      error: null,
      rawAnswer: typeof answer === 'string' ? answer : JSON.stringify(answer ?? null),
      parsed: parsed.parsed,
      parseError: parsed.parsed ? null : parsed.reason,
      ...(parsed.parsed
        ? { rootCause: parsed.result.rootCause, confidence: parsed.result.confidence, suggestedActions: parsed.result.suggestedActions, severityAssessment: parsed.result.severityAssessment }
        : { rootCause: null, confidence: null, suggestedActions: null, severityAssessment: null }),
      model: meta.model ?? (provider?.config.model as string | undefined) ?? null,
      tokens: meta.tokens ?? null,
      durationMs: meta.durationMs === null ? null : Math.round(meta.durationMs * 100) / 100,
      executionId: meta.executionId ?? analysis.executionId ?? null,
      conversationId: meta.conversationId ?? analysis.conversationId ?? null,
    });
    await this.orm.em.flush();
    this.metrics.analysisRuns.inc({ provider: provider?.name ?? 'unknown', status: 'succeeded', parsed: String(parsed.parsed) });
    await this.publish(analysis, provider);
  }

  /** A failed try: retried with backoff while attempts remain, else failed (or timed out) with the reason. */
  private async failed(analysis: AlertAnalysisEntity, provider: AnalysisProviderEntity | null, failure: ProviderError): Promise<void> {
    const retry = failure.retryable && analysis.attempts < this.settings.maxAttempts;
    analysis.error = failure.message;
    if (retry) {
      analysis.status = 'queued';
      await this.orm.em.flush();
      await this.enqueue(analysis, backoffDelay(analysis.attempts, this.backoff));
    } else {
      Object.assign(analysis, { status: failure.timedOut ? 'timed_out' : 'failed', finishedAt: new Date(), error: failure.retryable ? `gave up after ${analysis.attempts} attempts: ${failure.message}` : failure.message });
      await this.orm.em.flush();
      this.metrics.analysisRuns.inc({ provider: provider?.name ?? 'unknown', status: analysis.status, parsed: 'false' });
      this.logger.warn({ analysisId: analysis.id, provider: provider?.name, error: analysis.error }, 'analysis failed');
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

  /** A provider's settings as every reader sees them: secret fields masked. */
  maskedSettings(provider: AnalysisProviderEntity): Record<string, unknown> {
    return this.providerSettings.masked(provider);
  }

  /** Seals again what is in clear and everything with the current key; returns how many providers. */
  async resealProviders(): Promise<number> {
    const providers = await this.orm.em.find(AnalysisProviderEntity, {});
    for (const provider of providers) this.providerSettings.reseal(provider);
    await this.orm.em.flush();
    return providers.length;
  }

  private providerFor(provider: AnalysisProviderEntity): AnalysisProvider {
    const secret = provider.secret ? this.secrets.open(provider.secret, `analysis-provider:${provider.id}`) : null;
    const config = this.providerSettings.open(provider);
    const http = { peers: this.peers, tls: tlsOf(config) };
    switch (provider.type) {
      case 'n8n':
        return new N8nProvider(n8nConfigSchema.parse(config), secret, http);
      case 'dify':
        return new DifyProvider(difyConfigSchema.parse(config), secret, http);
      case 'openai':
        return new OpenAIProvider(openaiConfigSchema.parse(config), secret, http);
    }
  }

  private async contextFor(record: AlertRecordEntity, analysis: AlertAnalysisEntity) {
    const em = this.orm.em;
    const limit = this.settings.historyLimit;
    const [history, similar, analyses] = await Promise.all([
      em.find(AlertRecordEntity, { fingerprint: record.fingerprint, id: { $ne: record.id }, receivedAt: { $lte: record.receivedAt } }, { orderBy: { receivedAt: 'desc' }, limit }),
      em.find(AlertRecordEntity, { alertname: record.alertname, fingerprint: { $ne: record.fingerprint } }, { orderBy: { receivedAt: 'desc' }, limit }),
      em.find(AlertAnalysisEntity, { alertname: record.alertname, id: { $ne: analysis.id }, status: 'succeeded' }, { orderBy: { createdAt: 'desc' }, limit }),
    ]);
    return buildContext(record, { history, similar, analyses }, this.settings.contextMaxBytes);
  }

  private async publish(analysis: Pick<AlertAnalysisEntity, 'id' | 'recordId' | 'providerId' | 'alertname' | 'fingerprint' | 'status' | 'attempts' | 'parsed' | 'rootCause' | 'confidence' | 'error'>, provider?: AnalysisProviderEntity | null): Promise<void> {
    const name = provider?.name ?? this.providerNames.get(analysis.providerId) ?? (await this.orm.em.findOne(AnalysisProviderEntity, { id: analysis.providerId }))?.name ?? 'unknown';
    this.providerNames.set(analysis.providerId, name);
    await this.events
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
      .catch((err) => this.logger.warn({ err }, 'could not publish an analysis event'));
  }

  // ── reading, feedback ──────────────────────────────────────────────────────

  async get(id: string): Promise<AlertAnalysisEntity> {
    return NotFoundError.assert(await this.orm.em.findOne(AlertAnalysisEntity, { id }), 'analysis', id);
  }

  async list(filter: AnalysisFilter, page: PageRequest): Promise<{ items: AlertAnalysisEntity[]; total: number }> {
    const where: Record<string, unknown> = {};
    for (const key of ['recordId', 'status', 'alertname'] as const) if (filter[key]) where[key] = filter[key];
    const [items, total] = await this.orm.em.findAndCount(AlertAnalysisEntity, where, { orderBy: { createdAt: page.order, id: page.order }, limit: page.limit, offset: page.offset });
    return { items, total };
  }

  async feedback(id: string, input: { useful: boolean; note?: string | null }, actor: Actor): Promise<AlertAnalysisEntity> {
    const note = input.note?.trim() ? input.note.trim().slice(0, 4000) : null;
    const analysis = await this.get(id);
    if (analysis.status !== 'succeeded') throw new ConflictError(`analysis ${id} is ${analysis.status}; feedback is for finished analyses`);
    const provider = await this.orm.em.findOne(AnalysisProviderEntity, { id: analysis.providerId });
    await this.audit.change(actor, async (record) => {
      Object.assign(analysis, { feedbackUseful: input.useful, feedbackNote: note, feedbackBy: actor.principal.name, feedbackAt: new Date() });
      record('analysis.feedback', 'analysis', id, { useful: input.useful });
    });
    this.metrics.analysisFeedback.inc({ provider: provider?.name ?? 'unknown', verdict: input.useful ? 'useful' : 'not_useful' });
    return analysis;
  }

  /** Per alert name and day: how many analyses, their mean confidence, and what feedback said. */
  async trends(alertname: string | undefined, days: number): Promise<AnalysisTrend[]> {
    const rows: Array<{ alertname: string; day: string | Date; analyses: string; mean_confidence: number | null; useful: string; not_useful: string }> = await this.orm.em.getConnection().execute(
      `select "alertname", date_trunc('day', "created_at") as "day", count(*) as "analyses", avg("confidence") as "mean_confidence",
              count(*) filter (where "feedback_useful") as "useful", count(*) filter (where not "feedback_useful") as "not_useful"
         from "alert_analysis"
        where "status" = 'succeeded' and "created_at" >= ? ${alertname ? 'and "alertname" = ?' : ''}
        group by 1, 2 order by 2 desc, 1 asc`,
      [new Date(Date.now() - days * 86_400_000), ...(alertname ? [alertname] : [])],
    );
    return rows.map((r) => ({
      alertname: r.alertname,
      day: new Date(r.day).toISOString().slice(0, 10),
      analyses: Number(r.analyses),
      meanConfidence: r.mean_confidence === null ? null : Math.round(Number(r.mean_confidence) * 1000) / 1000,
      useful: Number(r.useful),
      notUseful: Number(r.not_useful),
    }));
  }
}
