import { Queue, UnrecoverableError, Worker, type Job, type JobsOptions, type MinimalJob } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from '../../shared/logger';
import type { Metrics } from '../observability/metrics';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../../shared/backoff';
import { settleWithin } from '../shared/settle-within';
import {
  DEFAULT_JOB_ATTEMPTS,
  type EnqueueOptions,
  type JobHandler,
  type JobQueue,
  type JobRecord,
  type JobState,
  type ProcessOptions,
} from './job-queue';
import type { QueueJobs, QueueName } from './queue-map';

/** What is stored in Redis: the job's data plus the backoff it asked for, which BullMQ's own options cannot cap. */
interface Envelope {
  data: unknown;
  backoff: BackoffPolicy;
}

const BACKOFF_TYPE = 'alertagent';

/** The production queue on BullMQ: jobs live in Redis and survive restarts of every process. */
export class BullJobQueue implements JobQueue {
  private readonly queues = new Map<string, Queue>();
  private readonly workers: Worker[] = [];
  /** Handlers running in this process, so shutdown knows when it may close without cutting one off. */
  private readonly running = new Set<Promise<void>>();
  private closing?: Promise<void>;

  constructor(
    private readonly connection: Redis,
    private readonly keyPrefix: string,
    private readonly logger: Logger,
    private readonly metrics?: Metrics,
    /** How long a job stays claimed by a worker that stopped renewing the claim; also how often claims are checked. */
    private readonly lockMs = 30_000,
  ) {}

  async enqueue<N extends QueueName>(name: N, data: QueueJobs[N], options: EnqueueOptions = {}): Promise<string> {
    const job = await this.queue(name).add(name, ...this.jobOf(data, options));
    return job.id as string;
  }

  async enqueueMany<N extends QueueName>(name: N, jobs: Array<{ data: QueueJobs[N]; options?: EnqueueOptions }>): Promise<void> {
    if (jobs.length === 0) return;
    await this.queue(name).addBulk(
      jobs.map(({ data, options }) => {
        const [envelope, opts] = this.jobOf(data, options ?? {});
        return { name, data: envelope, opts };
      }),
    );
  }

  private jobOf(data: unknown, options: EnqueueOptions): [Envelope, JobsOptions] {
    return [
      { data, backoff: { ...DEFAULT_BACKOFF, ...options.backoff } },
      {
        jobId: options.jobId,
        delay: options.delayMs,
        attempts: options.attempts ?? DEFAULT_JOB_ATTEMPTS,
        backoff: { type: BACKOFF_TYPE },
        removeOnComplete: { count: 10_000, age: 24 * 3600 },
        removeOnFail: { count: 10_000, age: 7 * 24 * 3600 },
        // BullMQ appends the error's stack on every attempt to record a failure, and retries that
        // recording without end while Redis is unreachable: unbounded, each retry packs a longer list.
        stackTraceLimit: 5,
      },
    ];
  }

  process<N extends QueueName>(name: N, handler: JobHandler<QueueJobs[N]>, options: ProcessOptions = {}): void {
    const worker = new Worker<Envelope>(
      name,
      async (job: Job<Envelope>) => {
        const run = handler({
          id: job.id as string,
          data: job.data.data as QueueJobs[N],
          attempt: job.attemptsMade + 1,
          maxAttempts: job.opts.attempts ?? 1,
        });
        this.running.add(run);
        try {
          await run;
        } finally {
          this.running.delete(run);
        }
      },
      {
        connection: this.connection,
        prefix: this.bullPrefix(),
        concurrency: options.concurrency ?? 1,
        lockDuration: this.lockMs,
        stalledInterval: this.lockMs,
        settings: {
          backoffStrategy: (attemptsMade: number, _type?: string, _err?: Error, job?: MinimalJob) =>
            backoffDelay(attemptsMade, (job?.data as Envelope | undefined)?.backoff ?? DEFAULT_BACKOFF),
        },
      },
    );
    worker.on('completed', () => this.metrics?.jobsProcessed.inc({ queue: name, outcome: 'completed' }));
    worker.on('failed', (job, err) => {
      const final = !job || job.attemptsMade >= (job.opts.attempts ?? 1) || err instanceof UnrecoverableError;
      this.metrics?.jobsProcessed.inc({ queue: name, outcome: final ? 'failed' : 'retried' });
      if (final) this.logger.warn({ queue: name, jobId: job?.id, attempts: job?.attemptsMade, reason: err.message }, 'job failed');
    });
    worker.on('error', (err) => this.logger.error({ err, queue: name }, 'queue worker error'));
    this.workers.push(worker);
  }

  async getJob(name: QueueName, id: string): Promise<JobRecord | null> {
    // State first: a job read before its state flips to failed would lack the failure reason.
    const state = (await this.queue(name).getJobState(id)) as string;
    if (state === 'unknown') return null;
    const job = await this.queue(name).getJob(id);
    if (!job) return null;
    const known: JobState[] = ['waiting', 'delayed', 'active', 'completed', 'failed'];
    return {
      id,
      state: known.includes(state as JobState) ? (state as JobState) : 'waiting',
      attemptsMade: job.attemptsMade,
      failedReason: job.failedReason || undefined,
    };
  }

  isAvailable(): boolean {
    return this.connection.status === 'ready';
  }

  async waitingJobs(): Promise<Record<string, number>> {
    if (!this.isAvailable()) return {};
    const entries = await Promise.all(
      [...this.queues].map(async ([name, queue]) => {
        const counts = await queue.getJobCounts('wait', 'prioritized');
        return [name, (counts.wait ?? 0) + (counts.prioritized ?? 0)] as const;
      }),
    );
    return Object.fromEntries(entries);
  }

  close(graceMs: number): Promise<void> {
    this.closing ??= this.closeWithin(graceMs);
    return this.closing;
  }

  private async closeWithin(graceMs: number): Promise<void> {
    // A queue or worker closed while its connection is still starting would report that start's
    // failure ("Connection is closed") after close() removed its listeners: an unheard 'error'
    // that ends the process. Let every start settle first (a process stopped right after start).
    // Bounded: with Redis away, a start never settles, and the outer shutdown bound applies.
    await settleWithin(
      Promise.all([...this.workers, ...this.queues.values()].map((q) => q.waitUntilReady().catch(() => undefined))),
      2_000,
    );
    await Promise.all(this.workers.map((w) => w.pause(true)));
    const finished = await settleWithin(Promise.allSettled([...this.running]), graceMs);
    if (!finished) {
      // Closing by force leaves their jobs active without a lock holder: once the lock lapses, the
      // stalled-job check (of another worker, or this one after restart) puts them back in the queue.
      this.logger.warn({ running: this.running.size, graceMs }, 'jobs still running at shutdown; leaving them to be taken up again');
    }
    await Promise.all(this.workers.map((w) => w.close(!finished)));
    await Promise.all([...this.queues.values()].map((q) => q.close()));
  }

  private bullPrefix(): string {
    return `${this.keyPrefix}:bull`;
  }

  private queue(name: string): Queue {
    let queue = this.queues.get(name);
    if (!queue) {
      // A queue made while closing would outlive close() on a connection about to go away.
      if (this.closing) throw new Error(`the job queue is closed; ${name} not enqueued`);
      queue = new Queue(name, { connection: this.connection, prefix: this.bullPrefix() });
      // An unheard 'error' (Redis gone during shutdown) would end the process.
      queue.on('error', (err) => this.logger.warn({ err, queue: name }, 'job queue error'));
      this.queues.set(name, queue);
    }
    return queue;
  }
}
