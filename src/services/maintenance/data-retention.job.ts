import type { MikroORM } from '@mikro-orm/core';
import type { Config } from '../../config';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import type { JobQueue } from '../queue/job-queue';
import { PeriodicTask } from '../shared/periodic-task';

const HOUR_MS = 3600_000;
/** Rows deleted per statement: short statements, so the alert path never waits on a long one. */
export const RETENTION_BATCH = 2_000;
/** A breath between batches for the writes of the alert path. */
const PAUSE_MS = 20;

/** One kind of stored data: its table, when a row is old enough, and what keeps it regardless of age. */
interface Kind {
  name: string;
  table: string;
  days: (r: Config['retention']) => number;
  /** SQL condition on the row with `?` for the cutoff; only rows in a final state may go. */
  expired: string;
  /** Rows of other tables that belong to a removed row and have no foreign key to follow. */
  alsoDelete?: Array<{ table: string; column: string }>;
}

const KINDS: Kind[] = [
  // Unprocessed receipts are the durable queue of the alert path: never removed.
  { name: 'receipts', table: 'alert_receipt', days: (r) => r.receiptsDays, expired: `"received_at" < ? and "processed_at" is not null` },
  {
    name: 'records',
    table: 'alert_record',
    days: (r) => r.recordsDays,
    expired: `"received_at" < ? and "state" not in ('received', 'routed')`,
  },
  { name: 'acknowledgements', table: 'alert_ack', days: (r) => r.recordsDays, expired: `"acknowledged_at" < ?` },
  { name: 'escalations', table: 'escalation', days: (r) => r.recordsDays, expired: `"updated_at" < ? and "state" <> 'waiting'` },
  // Attempts go with their delivery (foreign key, on delete cascade).
  {
    name: 'deliveries',
    table: 'delivery',
    days: (r) => r.deliveriesDays,
    expired: `"created_at" < ? and "status" in ('delivered', 'failed')`,
  },
  {
    name: 'analyses',
    table: 'alert_analysis',
    days: (r) => r.analysesDays,
    expired: `"created_at" < ? and "status" in ('succeeded', 'failed', 'timed_out')`,
  },
  {
    name: 'incidents',
    table: 'incident',
    days: (r) => r.incidentsDays,
    expired: `"state" = 'resolved' and "resolved_at" < ?`,
    alsoDelete: [
      { table: 'incident_alert', column: 'incident_id' },
      { table: 'incident_notification', column: 'incident_id' },
    ],
  },
  {
    name: 'executions',
    table: 'automation_execution',
    days: (r) => r.executionsDays,
    expired: `"created_at" < ? and "status" not in ('awaiting_approval', 'running')`,
  },
  { name: 'audit', table: 'audit_event', days: (r) => r.auditDays, expired: `"created_at" < ?` },
];

export interface DataRetentionDeps {
  queue: JobQueue;
  orm: MikroORM;
  settings: Config['retention'];
  metrics: Metrics;
  logger: Logger;
}

/**
 * Keeps stored data bounded: every kind past its retention (RETENTION_*_DAYS) is deleted in small
 * batches, off the alert path, by one hourly job that the queue runs once across replicas. Rows
 * still in use (unprocessed receipts, pending deliveries, open incidents, running analyses and
 * executions, waiting escalations) stay whatever their age.
 */
export class DataRetentionJob {
  private readonly hourly: PeriodicTask;

  constructor(private readonly deps: DataRetentionDeps) {
    this.hourly = new PeriodicTask('retention schedule', () => this.bookPrune(), deps.logger);
  }

  registerProcessor(): void {
    this.deps.queue.process('maintenance.prune', async () => {
      const removed = await this.prune();
      const total = Object.values(removed).reduce((a, b) => a + b, 0);
      if (total > 0) this.deps.logger.info({ removed }, 'pruned data past its retention');
    });
  }

  /** Enqueues now and every hour after; several replicas enqueue the same id, so the job runs once. */
  schedule(): void {
    this.hourly.start(HOUR_MS, true);
  }

  stop(): void {
    this.hourly.stop();
  }

  private bookPrune(): Promise<unknown> {
    const hour = Math.floor(Date.now() / HOUR_MS);
    return this.deps.queue
      .enqueue('maintenance.prune', {}, { jobId: `prune-${hour}`, attempts: 3 })
      .catch((err) => this.deps.logger.warn({ err }, 'could not enqueue the retention job'));
  }

  /** Deletes what is past retention, kind by kind, batch by batch; answers how many rows of each kind went. */
  async prune(now = new Date()): Promise<Record<string, number>> {
    const connection = this.deps.orm.em.getConnection();
    const removed: Record<string, number> = {};
    for (const kind of KINDS) {
      const cutoff = new Date(now.getTime() - kind.days(this.deps.settings) * 24 * HOUR_MS);
      removed[kind.name] = 0;
      for (;;) {
        const rows: Array<{ id?: string }> = await connection.execute(
          `delete from "${kind.table}" where ctid in (select ctid from "${kind.table}" where ${kind.expired} limit ${RETENTION_BATCH}) returning ${kind.alsoDelete ? '"id"' : '1 as "n"'}`,
          [cutoff],
        );
        for (const other of kind.alsoDelete ?? []) {
          const ids = rows.map((r) => r.id).filter((id): id is string => Boolean(id));
          if (ids.length > 0)
            await connection.execute(`delete from "${other.table}" where "${other.column}" in (${ids.map(() => '?').join(', ')})`, ids);
        }
        removed[kind.name] += rows.length;
        if (rows.length > 0) this.deps.metrics.retentionDeleted.inc({ kind: kind.name }, rows.length);
        if (rows.length < RETENTION_BATCH) break;
        await new Promise((r) => setTimeout(r, PAUSE_MS));
      }
    }
    return removed;
  }
}
