import type { MikroORM } from '@mikro-orm/core';
import { RequestContext } from '@mikro-orm/core';
import type { Logger } from '../observability/logger';
import type { JobQueue } from '../queue/job-queue';
import type { AuditService } from '../security/audit.service';

const HOUR_MS = 3600_000;

/** Enforces the audit retention period: one prune job an hour, de-duplicated across replicas by its hourly id. */
export class AuditRetentionJob {
  private timer: NodeJS.Timeout | null = null;

  constructor(
    private readonly queue: JobQueue,
    private readonly orm: MikroORM,
    private readonly audit: AuditService,
    private readonly retentionDays: number,
    private readonly logger: Logger,
  ) {}

  registerProcessor(): void {
    this.queue.process('maintenance.prune-audit', async ({ data }) => {
      const removed = await RequestContext.create(this.orm.em, () => this.audit.pruneOlderThan(data.olderThanDays));
      if (removed > 0) this.logger.info({ removed, olderThanDays: data.olderThanDays }, 'pruned audit events');
    });
  }

  /** Enqueues now and every hour after; several replicas enqueue the same id, so the job runs once. */
  schedule(): void {
    const enqueue = (): void => {
      const hour = Math.floor(Date.now() / HOUR_MS);
      this.queue
        .enqueue('maintenance.prune-audit', { olderThanDays: this.retentionDays }, { jobId: `prune-audit-${hour}`, attempts: 3 })
        .catch((err) => this.logger.warn({ err }, 'could not enqueue the audit prune job'));
    };
    enqueue();
    this.timer = setInterval(enqueue, HOUR_MS);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
