import type { MikroORM } from '@mikro-orm/core';
import type { Config } from '../../config';
import { AiMaturityEntity } from '../../entities/analysis/ai-maturity.entity';
import { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
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
  thresholdsOf,
  type MaturityState,
  type ProviderRecord,
} from './ai-maturity';
import { ConfigError } from '../../config';

const EVALUATOR = systemPrincipal('maturity-evaluator');
export const EVALUATOR_ACTOR = 'system:maturity-evaluator';
const STATES: MaturityState[] = ['trusted', 'probation', 'degraded'];

const NO_RECORD: ProviderRecord = {
  finished: 0,
  succeeded: 0,
  errors: 0,
  timeouts: 0,
  unparsed: 0,
  useful: 0,
  wrong: 0,
  resolvedAfterAction: 0,
  unresolvedAfterAction: 0,
  p95LatencyMs: null,
};

/** A remediation that ran is judged by whether its alert resolved within this long after it. */
export const RESOLUTION_WINDOW_SECONDS = 30 * 60;

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
  orm: MikroORM;
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
    this.sweeper = new PeriodicTask('ai-maturity', () => this.evaluate(), deps.logger, this.deps.orm);
  }

  startSweeper(): void {
    this.sweeper.start(this.deps.settings.maturityIntervalMs, true);
  }

  stop(): void {
    this.sweeper.stop();
  }

  /** Judges every provider now; answers where each stands afterwards. */
  async evaluate(now = new Date()): Promise<ProviderMaturity[]> {
    const em = this.deps.orm.em.fork();
    const providers = await em.find(AnalysisProviderEntity, {}, { orderBy: { name: 'asc' } });
    const records = await this.records(now);
    const thresholds = thresholdsOf(this.deps.settings);
    const answers: ProviderMaturity[] = [];
    for (const provider of providers) {
      const record = records.get(provider.id) ?? NO_RECORD;
      const row = await this.rowOf(provider.id, now);
      const verdict = judge(record, thresholds);
      const next = nextState(row.state, verdict);
      const moved = next !== row.state && (await this.moveState(provider.id, row.state, next, verdict.reason, now));
      await em
        .getConnection()
        .execute(`update "ai_maturity" set "record" = ?, "evaluated_at" = ?, "reason" = ? where "provider_id" = ?`, [
          JSON.stringify(record),
          now,
          verdict.reason,
          provider.id,
        ]);
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
    const connection = this.deps.orm.em.getConnection();
    await connection.execute(
      `insert into "ai_feature_state" ("flag", "blocked", "since", "reason") values (?, false, ?, '') on conflict ("flag") do nothing`,
      [flag, now],
    );
    const [row] = await connection.execute(`select "blocked" from "ai_feature_state" where "flag" = ?`, [flag]);
    const blocked = Boolean(row.blocked);
    const next = nextFeatureBlocked(blocked, verdict);
    if (next === blocked) return;
    const moved = await connection.execute(
      `update "ai_feature_state" set "blocked" = ?, "since" = ?, "reason" = ? where "flag" = ? and "blocked" = ? returning "flag"`,
      [next, now, verdict.reason, flag, blocked],
    );
    if (moved.length !== 1) return;
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
    const em = this.deps.orm.em.fork();
    const [providers, rows] = await Promise.all([
      em.find(AnalysisProviderEntity, {}, { orderBy: { name: 'asc' } }),
      em.find(AiMaturityEntity, {}),
    ]);
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

  private async records(now: Date): Promise<Map<string, ProviderRecord>> {
    const since = new Date(now.getTime() - this.deps.settings.maturityWindowHours * 3600_000);
    const rows: Array<Record<string, string | number | null>> = await this.deps.orm.em.getConnection().execute(
      `select "provider_id",
              count(*) as "finished",
              count(*) filter (where "status" = 'succeeded') as "succeeded",
              count(*) filter (where "status" = 'failed') as "errors",
              count(*) filter (where "status" = 'timed_out') as "timeouts",
              count(*) filter (where "status" = 'succeeded' and "parsed" is not true) as "unparsed",
              count(*) filter (where "feedback_useful") as "useful",
              count(*) filter (where "feedback_useful" = false) as "wrong",
              percentile_cont(0.95) within group (order by "duration_ms") filter (where "status" = 'succeeded' and "duration_ms" is not null) as "p95"
         from "alert_analysis"
        where "finished_at" >= ? and "status" in ('succeeded', 'failed', 'timed_out')
        group by "provider_id"`,
      [since],
    );
    // What followed a remediation judges an analysis nobody rated: its alert resolved within the window, or not.
    const outcomes: Array<Record<string, string | number | null>> = await this.deps.orm.em.getConnection().execute(
      `select a."provider_id",
              count(*) filter (where "resolved") as "resolved",
              count(*) filter (where not "resolved" and e."finished_at" < ?) as "unresolved"
         from "automation_execution" e
         join "alert_analysis" a on a."id" = e."analysis_id"
         cross join lateral (select exists (select 1 from "alert_record" r
                                             where r."fingerprint" = e."fingerprint" and r."starts_at" = e."starts_at" and r."status" = 'resolved'
                                               and r."received_at" between e."finished_at" and e."finished_at" + make_interval(secs => ?)) as "resolved") o
        where e."status" in ('succeeded', 'failed') and e."finished_at" >= ? and a."feedback_useful" is null
        group by a."provider_id"`,
      [new Date(now.getTime() - RESOLUTION_WINDOW_SECONDS * 1000), RESOLUTION_WINDOW_SECONDS, since],
    );
    const n = (v: unknown) => Number(v ?? 0);
    const byProvider = new Map(outcomes.map((o) => [String(o.provider_id), o]));
    const ids = new Set([...rows.map((r) => String(r.provider_id)), ...byProvider.keys()]);
    const rowOf = new Map(rows.map((r) => [String(r.provider_id), r]));
    return new Map(
      [...ids].map((id) => {
        const r = rowOf.get(id) ?? {};
        const o = byProvider.get(id) ?? {};
        return [
          id,
          {
            finished: n(r.finished),
            succeeded: n(r.succeeded),
            errors: n(r.errors),
            timeouts: n(r.timeouts),
            unparsed: n(r.unparsed),
            useful: n(r.useful),
            wrong: n(r.wrong),
            resolvedAfterAction: n(o.resolved),
            unresolvedAfterAction: n(o.unresolved),
            p95LatencyMs: r.p95 === null || r.p95 === undefined ? null : Math.round(n(r.p95)),
          },
        ];
      }),
    );
  }

  private async rowOf(providerId: string, now: Date): Promise<{ state: MaturityState; since: Date }> {
    const connection = this.deps.orm.em.getConnection();
    await connection.execute(
      `insert into "ai_maturity" ("provider_id", "state", "since", "reason", "record", "evaluated_at") values (?, 'probation', ?, 'not evaluated yet', ?, ?) on conflict ("provider_id") do nothing`,
      [providerId, now, JSON.stringify(NO_RECORD), now],
    );
    const [row] = await connection.execute(`select "state", "since" from "ai_maturity" where "provider_id" = ?`, [providerId]);
    return { state: row.state as MaturityState, since: new Date(row.since as string) };
  }

  /** Moves the state only if nobody moved it meanwhile: true for the one replica that did. */
  private async moveState(providerId: string, from: MaturityState, to: MaturityState, reason: string, now: Date): Promise<boolean> {
    const rows = await this.deps.orm.em
      .getConnection()
      .execute(
        `update "ai_maturity" set "state" = ?, "since" = ?, "reason" = ? where "provider_id" = ? and "state" = ? returning "provider_id"`,
        [to, now, reason, providerId, from],
      );
    return rows.length === 1;
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
