import type { EntityManager } from '@mikro-orm/core';
import { AiMaturityEntity } from '../../entities/analysis/ai-maturity.entity';
import { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import { type MaturityState, NO_RECORD, type ProviderRecord } from './ai-maturity';

/** A remediation that ran is judged by whether its alert resolved within this long after it. */
export const RESOLUTION_WINDOW_SECONDS = 30 * 60;

/**
 * Storage of AI maturity: each provider's state and record, and each AI-driven feature's hold.
 * State changes are conditional updates, so of several replicas judging at once one moves it.
 */
export class AiMaturityRepository {
  constructor(private readonly em: EntityManager) {}

  /** Every provider, by name, read apart from the caller's unit of work. */
  providers(): Promise<AnalysisProviderEntity[]> {
    return this.em.fork().find(AnalysisProviderEntity, {}, { orderBy: { name: 'asc' } });
  }

  /** The stored state of every provider evaluated so far. */
  states(): Promise<AiMaturityEntity[]> {
    return this.em.fork().find(AiMaturityEntity, {});
  }

  /** What each provider did since `since`: finished runs, feedback, latency, and how remediations it proposed turned out. */
  async recordsSince(since: Date, now: Date): Promise<Map<string, ProviderRecord>> {
    const rows: Array<Record<string, string | number | null>> = await this.em.getConnection().execute(
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
    const outcomes: Array<Record<string, string | number | null>> = await this.em.getConnection().execute(
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

  /** A provider's stored state, created on probation the first time it is asked for. */
  async stateOf(providerId: string, now: Date): Promise<{ state: MaturityState; since: Date }> {
    const connection = this.em.getConnection();
    await connection.execute(
      `insert into "ai_maturity" ("provider_id", "state", "since", "reason", "record", "evaluated_at") values (?, 'probation', ?, 'not evaluated yet', ?, ?) on conflict ("provider_id") do nothing`,
      [providerId, now, JSON.stringify(NO_RECORD), now],
    );
    const [row] = await connection.execute(`select "state", "since" from "ai_maturity" where "provider_id" = ?`, [providerId]);
    return { state: row.state as MaturityState, since: new Date(row.since as string) };
  }

  /** Moves the state only if nobody moved it meanwhile: true for the one replica that did. */
  async moveState(providerId: string, from: MaturityState, to: MaturityState, reason: string, now: Date): Promise<boolean> {
    const rows = await this.em
      .getConnection()
      .execute(
        `update "ai_maturity" set "state" = ?, "since" = ?, "reason" = ? where "provider_id" = ? and "state" = ? returning "provider_id"`,
        [to, now, reason, providerId, from],
      );
    return rows.length === 1;
  }

  /** The record and reason of the latest evaluation. */
  async saveEvaluation(providerId: string, record: ProviderRecord, reason: string, now: Date): Promise<void> {
    await this.em
      .getConnection()
      .execute(`update "ai_maturity" set "record" = ?, "evaluated_at" = ?, "reason" = ? where "provider_id" = ?`, [
        JSON.stringify(record),
        now,
        reason,
        providerId,
      ]);
  }

  /** Whether an AI-driven feature is held off now (created as not held the first time). */
  async featureBlocked(flag: string, now: Date): Promise<boolean> {
    const connection = this.em.getConnection();
    await connection.execute(
      `insert into "ai_feature_state" ("flag", "blocked", "since", "reason") values (?, false, ?, '') on conflict ("flag") do nothing`,
      [flag, now],
    );
    const [row] = await connection.execute(`select "blocked" from "ai_feature_state" where "flag" = ?`, [flag]);
    return Boolean(row.blocked);
  }

  /** Holds a feature off or lets it go if nobody did meanwhile: true for the one replica that did. */
  async moveFeature(flag: string, from: boolean, to: boolean, reason: string, now: Date): Promise<boolean> {
    const moved = await this.em
      .getConnection()
      .execute(
        `update "ai_feature_state" set "blocked" = ?, "since" = ?, "reason" = ? where "flag" = ? and "blocked" = ? returning "flag"`,
        [to, now, reason, flag, from],
      );
    return moved.length === 1;
  }
}
