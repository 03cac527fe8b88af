import type { MikroORM } from '@mikro-orm/core';
import type { AiMaturityRepository } from './ai-maturity.repository';
import type { Config } from '../../config';
import type { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import { AI_DRIVEN_FLAGS } from '../flags/flag-definitions';
import type { FlagOverrideService } from '../flags/flag-overrides';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { EventBus } from '../pubsub/event-bus';
import { systemPrincipal } from '../security/principal';
import { PeriodicTask } from '../shared/periodic-task';
import {
  accuracyOf,
  failureRateOf,
  judge,
  judgeFeature,
  nextFeatureBlocked,
  nextState,
  NO_RECORD,
  thresholdsOf,
  type MaturityState,
  type ProviderRecord,
} from './ai-maturity';
import { ConfigError } from '../../config';

const EVALUATOR = systemPrincipal('maturity-evaluator');
export const EVALUATOR_ACTOR = 'system:maturity-evaluator';
const STATES: MaturityState[] = ['trusted', 'probation', 'degraded'];

export { RESOLUTION_WINDOW_SECONDS } from './ai-maturity.repository';

/** A provider's maturity as the API shows it. */
export interface ProviderMaturity {
  providerId: string;
  providerName: string;
  state: MaturityState;
  since: Date;
  reason: string;
  evaluatedAt: Date;
  record: ProviderRecord;
}

export interface MaturityEvaluatorDeps {
  /** Each round is a unit of work of its own (the flag overrides it sets are written through the entity manager). */
  orm: MikroORM;
  repository: AiMaturityRepository;
  overrides: Pick<FlagOverrideService, 'set' | 'clear' | 'find'>;
  events: EventBus;
  metrics: Metrics;
  settings: Config['analysis'];
  logger: Logger;
}

/**
 * AI maturity: every provider is judged on what it did over the window (feedback, errors,
 * time-outs, unparsed answers, p95 latency). A provider that falls below a threshold is degraded.
 * Each AI-driven feature is then judged on every provider: while one is degraded, or less accurate
 * than the feature's own minimum, the feature is switched off by an override of the maturity
 * evaluator (audited and notified like any flag change); when all are clear past the margin, the
 * evaluator lifts its own override. State changes are compare-and-set on their rows, so across
 * replicas each happens, and acts, once. An administrator may lift or set an override at any time;
 * the evaluator acts again only at the feature's next change of state.
 */
export class MaturityEvaluator {
  private readonly sweeper: PeriodicTask;

  constructor(private readonly deps: MaturityEvaluatorDeps) {
    const unknown = Object.keys(deps.settings.maturityFeatureMinAccuracy).filter(
      (flag) => !(AI_DRIVEN_FLAGS as readonly string[]).includes(flag),
    );
    if (unknown.length > 0)
      throw new ConfigError([
        `analysis.maturityFeatureMinAccuracy (env ANALYSIS_MATURITY_FEATURE_MIN_ACCURACY): ${unknown.join(', ')} is not an AI-driven flag (${AI_DRIVEN_FLAGS.join(', ')})`,
      ]);
    this.sweeper = new PeriodicTask('ai-maturity', () => this.evaluate(), deps.logger, deps.orm);
  }

  startSweeper(): void {
    this.sweeper.start(this.deps.settings.maturityIntervalMs, true);
  }

  stop(): void {
    this.sweeper.stop();
  }

  /** Judges every provider now; answers where each stands afterwards. */
  async evaluate(now = new Date()): Promise<ProviderMaturity[]> {
    const { repository, settings } = this.deps;
    const providers = await repository.providers();
    const records = await repository.recordsSince(new Date(now.getTime() - settings.maturityWindowHours * 3600_000), now);
    const thresholds = thresholdsOf(this.deps.settings);
    const answers: ProviderMaturity[] = [];
    for (const provider of providers) {
      const record = records.get(provider.id) ?? NO_RECORD;
      const row = await repository.stateOf(provider.id, now);
      const verdict = judge(record, thresholds);
      const next = nextState(row.state, verdict);
      const moved = next !== row.state && (await repository.moveState(provider.id, row.state, next, verdict.reason, now));
      await repository.saveEvaluation(provider.id, record, verdict.reason, now);
      const state = moved ? next : row.state;
      this.observe(provider.name, state, record);
      answers.push({
        providerId: provider.id,
        providerName: provider.name,
        state,
        since: moved ? now : row.since,
        reason: verdict.reason,
        evaluatedAt: now,
        record,
      });
      if (moved) await this.transitioned(provider, row.state, next, verdict.reason, now);
    }
    for (const flag of AI_DRIVEN_FLAGS) await this.steerFeature(flag, answers, now);
    return answers;
  }

  /** Holds an AI-driven feature off, or lets it go, when its verdict crosses a line; once across replicas. */
  private async steerFeature(flag: (typeof AI_DRIVEN_FLAGS)[number], providers: ProviderMaturity[], now: Date): Promise<void> {
    const verdict = judgeFeature(providers, this.deps.settings.maturityFeatureMinAccuracy[flag] ?? null, thresholdsOf(this.deps.settings));
    const blocked = await this.deps.repository.featureBlocked(flag, now);
    const next = nextFeatureBlocked(blocked, verdict);
    if (next === blocked) return;
    if (!(await this.deps.repository.moveFeature(flag, blocked, next, verdict.reason, now))) return;
    const current = await this.deps.overrides.find(flag);
    if (next) {
      // An administrator's own decision stands; the evaluator only acts where none is in force.
      if (current && current.actor !== EVALUATOR_ACTOR) return;
      await this.deps.overrides.set({ principal: EVALUATOR }, { name: flag, enabled: false, reason: verdict.reason.slice(0, 500) }, now);
    } else if (current?.actor === EVALUATOR_ACTOR) {
      await this.deps.overrides.clear({ principal: EVALUATOR }, flag, `recovered: ${verdict.reason}`.slice(0, 500));
    }
  }

  /** Where each provider stands as last evaluated (providers never evaluated are on probation). */
  async list(): Promise<ProviderMaturity[]> {
    const [providers, rows] = await Promise.all([this.deps.repository.providers(), this.deps.repository.states()]);
    const byId = new Map(rows.map((r) => [r.providerId, r]));
    return providers.map((p) => {
      const row = byId.get(p.id);
      return {
        providerId: p.id,
        providerName: p.name,
        state: row?.state ?? 'probation',
        since: row?.since ?? p.createdAt,
        reason: row?.reason ?? 'not evaluated yet',
        evaluatedAt: row?.evaluatedAt ?? p.createdAt,
        record: row?.record ?? NO_RECORD,
      };
    });
  }

  private async transitioned(
    provider: AnalysisProviderEntity,
    from: MaturityState,
    to: MaturityState,
    reason: string,
    now: Date,
  ): Promise<void> {
    this.deps.logger.warn({ provider: provider.name, from, to, reason }, 'AI maturity changed');
    await this.deps.events
      .publish('ai.maturity', {
        providerId: provider.id,
        providerName: provider.name,
        state: to,
        previousState: from,
        reason,
        at: now.toISOString(),
      })
      .catch((err) => this.deps.logger.warn({ err }, 'could not publish an AI maturity change'));
  }

  private observe(provider: string, state: MaturityState, record: ProviderRecord): void {
    for (const s of STATES) this.deps.metrics.aiMaturityState.set({ provider, state: s }, s === state ? 1 : 0);
    const accuracy = accuracyOf(record);
    const failureRate = failureRateOf(record);
    if (accuracy === null) this.deps.metrics.aiAccuracy.remove({ provider });
    else this.deps.metrics.aiAccuracy.set({ provider }, accuracy);
    if (failureRate === null) this.deps.metrics.aiFailureRate.remove({ provider });
    else this.deps.metrics.aiFailureRate.set({ provider }, failureRate);
    if (record.p95LatencyMs === null) this.deps.metrics.aiLatencyP95.remove({ provider });
    else this.deps.metrics.aiLatencyP95.set({ provider }, record.p95LatencyMs / 1000);
    this.deps.metrics.aiSamples.set({ provider }, record.finished);
  }
}
