import type { MikroORM } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { AlertAnalysisEntity, type AnalysisStatus } from '../../entities/analysis/alert-analysis.entity';
import { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import { NotFoundError } from '../../errors';
import type { PageRequest } from '../../domain/page';

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

export interface QueuedAnalysis {
  id: string;
  recordId: string;
  providerId: string;
  alertname: string;
  fingerprint: string;
}

/** Analyses as stored: queued in bulk for the gateway, read for the API, the context of later analyses and trends. */
export class AnalysisRepository {
  constructor(private readonly orm: MikroORM) {}

  /** One statement for many requests; a record already asked of a provider is left as it is. */
  async insertQueued(requests: AnalysisRequest[], now = new Date()): Promise<QueuedAnalysis[]> {
    const rows: Array<{ id: string; record_id: string; provider_id: string; alertname: string; fingerprint: string }> = await this.orm.em
      .getConnection()
      .execute(
        `insert into "alert_analysis" ("id", "record_id", "provider_id", "alertname", "fingerprint", "status", "attempts", "queued_at", "created_at")
       values ${requests.map(() => "(?, ?, ?, ?, ?, 'queued', 0, ?, ?)").join(', ')}
       on conflict ("record_id", "provider_id") do nothing
       returning "id", "record_id", "provider_id", "alertname", "fingerprint"`,
        requests.flatMap((r) => [randomUUID(), r.recordId, r.providerId, r.alertname.slice(0, 200), r.fingerprint, now, now]),
      );
    return rows.map((row) => ({
      id: row.id,
      recordId: row.record_id,
      providerId: row.provider_id,
      alertname: row.alertname,
      fingerprint: row.fingerprint,
    }));
  }

  findById(id: string): Promise<AlertAnalysisEntity | null> {
    return this.orm.em.findOne(AlertAnalysisEntity, { id });
  }

  /** The run of a record by a provider; `fresh` reads past the caller's unit of work (after another replica wrote it). */
  findRun(recordId: string, providerId: string, fresh = false): Promise<AlertAnalysisEntity | null> {
    return (fresh ? this.orm.em.fork() : this.orm.em).findOne(AlertAnalysisEntity, { recordId, providerId });
  }

  /** The alert record an analysis is about. */
  findRecord(recordId: string): Promise<AlertRecordEntity | null> {
    return this.orm.em.findOne(AlertRecordEntity, { id: recordId });
  }

  /** Stores a new or changed run at once. */
  save(analysis: AlertAnalysisEntity): Promise<void> {
    return this.orm.em.persistAndFlush(analysis);
  }

  /** Writes what was changed on loaded runs. */
  flush(): Promise<void> {
    return this.orm.em.flush();
  }

  async get(id: string): Promise<AlertAnalysisEntity> {
    return NotFoundError.assert(await this.orm.em.findOne(AlertAnalysisEntity, { id }), 'analysis', id);
  }

  async list(filter: AnalysisFilter, page: PageRequest): Promise<{ items: AlertAnalysisEntity[]; total: number }> {
    const where: Record<string, unknown> = {};
    for (const key of ['recordId', 'status', 'alertname'] as const) if (filter[key]) where[key] = filter[key];
    const [items, total] = await this.orm.em.findAndCount(AlertAnalysisEntity, where, {
      orderBy: { createdAt: page.order, id: page.order },
      limit: page.limit,
      offset: page.offset,
    });
    return { items, total };
  }

  /** What a provider is told besides the alert: its history, similar alerts, and earlier analyses with their feedback. */
  async contextRows(record: AlertRecordEntity, analysis: AlertAnalysisEntity, limit: number) {
    const em = this.orm.em;
    const [history, similar, analyses] = await Promise.all([
      em.find(
        AlertRecordEntity,
        { fingerprint: record.fingerprint, id: { $ne: record.id }, receivedAt: { $lte: record.receivedAt } },
        { orderBy: { receivedAt: 'desc' }, limit },
      ),
      em.find(
        AlertRecordEntity,
        { alertname: record.alertname, fingerprint: { $ne: record.fingerprint } },
        { orderBy: { receivedAt: 'desc' }, limit },
      ),
      em.find(
        AlertAnalysisEntity,
        { alertname: record.alertname, id: { $ne: analysis.id }, status: 'succeeded' },
        { orderBy: { createdAt: 'desc' }, limit },
      ),
    ]);
    return { history, similar, analyses };
  }

  /** The last analysis of the same alert by the same provider that holds a conversation to continue. */
  previousConversation(analysis: AlertAnalysisEntity): Promise<AlertAnalysisEntity | null> {
    return this.orm.em.findOne(
      AlertAnalysisEntity,
      { fingerprint: analysis.fingerprint, providerId: analysis.providerId, conversationId: { $ne: null }, id: { $ne: analysis.id } },
      { orderBy: { createdAt: 'desc' } },
    );
  }

  /** Per alert name and day: how many analyses, their mean confidence, and what feedback said. */
  async trends(alertname: string | undefined, days: number): Promise<AnalysisTrend[]> {
    const rows: Array<{
      alertname: string;
      day: string | Date;
      analyses: string;
      mean_confidence: number | null;
      useful: string;
      not_useful: string;
    }> = await this.orm.em.getConnection().execute(
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
