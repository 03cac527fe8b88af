import { randomUUID } from 'node:crypto';
import type { Logger } from '../../shared/logger';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../../shared/backoff';
import { settleWithin } from '../shared/settle-within';
import {
  DEFAULT_JOB_ATTEMPTS,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type JobRecord,
  type ProcessOptions,
} from './job-queue';
import type { QueueJobs, QueueName } from './queue-map';

interface PendingJob {
  record: JobRecord;
  data: unknown;
  maxAttempts: number;
  backoff: BackoffPolicy;
  runAt: number;
}

interface Worker {
  handler: JobHandler<unknown>;
  concurrency: number;
  active: number;
}

const FINISHED_JOBS_KEPT = 10_000;

/** The embedded-mode queue: same retry semantics as BullMQ, kept in memory (jobs do not survive a restart). */
export class InProcessJobQueue implements JobQueue {
  private readonly jobs = new Map<string, Map<string, PendingJob>>();
  private readonly workers = new Map<string, Worker>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly wakeUps = new Map<string, { at: number; timer: NodeJS.Timeout }>();
  private readonly running = new Set<Promise<void>>();
  private closed = false;

  constructor(private readonly logger: Logger) {}

  async enqueue<N extends QueueName>(name: N, data: QueueJobs[N], options: EnqueueOptions = {}): Promise<string> {
    if (this.closed) throw new Error('queue is closed');
    const jobs = this.jobsOf(name);
    const id = options.jobId ?? randomUUID();
    if (jobs.has(id)) return id;
    const delay = options.delayMs ?? 0;
    jobs.set(id, {
      record: { id, state: delay > 0 ? 'delayed' : 'waiting', attemptsMade: 0 },
      data: structuredClone(data),
      maxAttempts: options.attempts ?? DEFAULT_JOB_ATTEMPTS,
      backoff: { ...DEFAULT_BACKOFF, ...options.backoff },
      runAt: Date.now() + delay,
    });
    this.schedule(name, delay);
    return id;
  }

  async enqueueMany<N extends QueueName>(name: N, jobs: Array<{ data: QueueJobs[N]; options?: EnqueueOptions }>): Promise<void> {
    for (const job of jobs) await this.enqueue(name, job.data, job.options);
  }

  process<N extends QueueName>(name: N, handler: JobHandler<QueueJobs[N]>, options: ProcessOptions = {}): void {
    if (this.workers.has(name)) throw new Error(`queue ${name} already has a processor`);
    this.workers.set(name, { handler: handler as JobHandler<unknown>, concurrency: options.concurrency ?? 1, active: 0 });
    this.schedule(name, 0);
  }

  async getJob(name: QueueName, id: string): Promise<JobRecord | null> {
    const job = this.jobs.get(name)?.get(id);
    return job ? { ...job.record } : null;
  }

  isAvailable(): boolean {
    return true;
  }

  async waitingJobs(): Promise<Record<string, number>> {
    return Object.fromEntries(
      [...this.jobs].map(([name, jobs]) => [name, [...jobs.values()].filter((job) => job.record.state === 'waiting').length]),
    );
  }

  async close(graceMs: number): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await settleWithin(Promise.allSettled([...this.running]), graceMs);
  }

  private jobsOf(name: string): Map<string, PendingJob> {
    let jobs = this.jobs.get(name);
    if (!jobs) {
      jobs = new Map();
      this.jobs.set(name, jobs);
    }
    return jobs;
  }

  private schedule(name: string, delayMs: number): void {
    if (this.closed) return;
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.dispatch(name);
      },
      Math.max(0, delayMs),
    );
    this.timers.add(timer);
  }

  private dispatch(name: string): void {
    const worker = this.workers.get(name);
    if (!worker || this.closed) return;
    const now = Date.now();
    let nextRunAt = Infinity;
    for (const job of this.jobsOf(name).values()) {
      if (worker.active >= worker.concurrency) return;
      const pending = job.record.state === 'waiting' || job.record.state === 'delayed';
      if (!pending) continue;
      if (job.runAt > now) {
        nextRunAt = Math.min(nextRunAt, job.runAt);
        continue;
      }
      worker.active += 1;
      job.record.state = 'active';
      const run = this.run(name, worker, job).finally(() => {
        this.running.delete(run);
        worker.active -= 1;
        this.dispatch(name);
      });
      this.running.add(run);
    }
    // A timer may fire a millisecond before Date.now() reaches a job's time: wake again for it,
    // or the job would wait for the next unrelated wake-up (possibly forever).
    if (nextRunAt !== Infinity) this.wakeAt(name, nextRunAt);
  }

  /** One wake-up per queue at the earliest time a job is due; an earlier need replaces a later one. */
  private wakeAt(name: string, at: number): void {
    const current = this.wakeUps.get(name);
    if (current && current.at <= at) return;
    if (current) {
      clearTimeout(current.timer);
      this.timers.delete(current.timer);
    }
    const timer = setTimeout(
      () => {
        this.timers.delete(timer);
        this.wakeUps.delete(name);
        this.dispatch(name);
      },
      Math.max(0, at - Date.now()) + 1,
    );
    this.timers.add(timer);
    this.wakeUps.set(name, { at, timer });
  }

  private async run(name: string, worker: Worker, job: PendingJob): Promise<void> {
    job.record.attemptsMade += 1;
    try {
      await worker.handler({ id: job.record.id, data: job.data, attempt: job.record.attemptsMade, maxAttempts: job.maxAttempts });
      job.record.state = 'completed';
      this.forgetOldJobs(name);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      job.record.failedReason = reason;
      if (job.record.attemptsMade >= job.maxAttempts) {
        job.record.state = 'failed';
        this.logger.warn({ queue: name, jobId: job.record.id, attempts: job.record.attemptsMade, reason }, 'job failed');
        return;
      }
      const delay = backoffDelay(job.record.attemptsMade, job.backoff);
      job.record.state = 'delayed';
      job.runAt = Date.now() + delay;
      this.schedule(name, delay);
    }
  }

  private forgetOldJobs(name: string): void {
    const jobs = this.jobsOf(name);
    if (jobs.size <= FINISHED_JOBS_KEPT) return;
    for (const [id, job] of jobs) {
      if (jobs.size <= FINISHED_JOBS_KEPT) break;
      if (job.record.state === 'completed' || job.record.state === 'failed') jobs.delete(id);
    }
  }
}
