import type { BackoffPolicy } from '../../shared/backoff';
import type { QueueJobs, QueueName } from './queue-map';

export interface EnqueueOptions {
  /** Idempotency key: a second job with the same id is dropped while the first is known. */
  jobId?: string;
  delayMs?: number;
  /** Total tries, the first included. */
  attempts?: number;
  backoff?: Partial<BackoffPolicy>;
}

export interface JobContext<D> {
  id: string;
  data: D;
  /** 1 on the first try. */
  attempt: number;
  maxAttempts: number;
}

export type JobHandler<D> = (job: JobContext<D>) => Promise<void>;

export interface ProcessOptions {
  concurrency?: number;
}

export type JobState = 'waiting' | 'delayed' | 'active' | 'completed' | 'failed';

export interface JobRecord {
  id: string;
  state: JobState;
  attemptsMade: number;
  failedReason?: string;
}

export const DEFAULT_JOB_ATTEMPTS = 5;

/** Durable background work with retries; BullMQ in production, in-process in the embedded mode. */
export interface JobQueue {
  enqueue<N extends QueueName>(name: N, data: QueueJobs[N], options?: EnqueueOptions): Promise<string>;
  /** Several jobs of one queue in one round trip. */
  enqueueMany<N extends QueueName>(name: N, jobs: Array<{ data: QueueJobs[N]; options?: EnqueueOptions }>): Promise<void>;
  process<N extends QueueName>(name: N, handler: JobHandler<QueueJobs[N]>, options?: ProcessOptions): void;
  getJob(name: QueueName, id: string): Promise<JobRecord | null>;
  /** False while the queue's store cannot be reached: enqueued jobs would wait, and work that must not wait runs elsewhere. */
  isAvailable(): boolean;
  /** Jobs ready to run that no worker has taken yet, per queue this process uses (the backlog). */
  waitingJobs(): Promise<Record<string, number>>;
  /**
   * Stops taking new jobs, lets running ones finish for up to `graceMs`, releases connections.
   * A durable queue leaves jobs still running then to be taken up again; the in-process one loses them with the process.
   */
  close(graceMs: number): Promise<void>;
}
