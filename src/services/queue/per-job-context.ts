import { type MikroORM, RequestContext } from '@mikro-orm/core';
import type { EnqueueOptions, JobHandler, JobQueue, JobRecord, ProcessOptions } from './job-queue';
import type { QueueJobs, QueueName } from './queue-map';

/**
 * A queue whose every job runs in a unit of work of its own: a fresh fork of the entity manager,
 * as each HTTP request gets. Handlers written against `orm.em` then never share an identity map
 * with another job, and none has to remember to fork.
 */
export class PerJobContextQueue implements JobQueue {
  constructor(
    private readonly inner: JobQueue,
    private readonly orm: MikroORM,
  ) {}

  process<N extends QueueName>(name: N, handler: JobHandler<QueueJobs[N]>, options?: ProcessOptions): void {
    this.inner.process(name, (job) => RequestContext.create(this.orm.em, () => handler(job)), options);
  }

  enqueue<N extends QueueName>(name: N, data: QueueJobs[N], options?: EnqueueOptions): Promise<string> {
    return this.inner.enqueue(name, data, options);
  }

  enqueueMany<N extends QueueName>(name: N, jobs: Array<{ data: QueueJobs[N]; options?: EnqueueOptions }>): Promise<void> {
    return this.inner.enqueueMany(name, jobs);
  }

  getJob(name: QueueName, id: string): Promise<JobRecord | null> {
    return this.inner.getJob(name, id);
  }

  isAvailable(): boolean {
    return this.inner.isAvailable();
  }

  waitingJobs(): Promise<Record<string, number>> {
    return this.inner.waitingJobs();
  }

  close(graceMs: number): Promise<void> {
    return this.inner.close(graceMs);
  }
}
