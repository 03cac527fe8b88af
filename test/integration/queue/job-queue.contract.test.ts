import type { Redis } from 'ioredis';
import { createLogger } from '../../../src/shared/logger';
import { BullJobQueue } from '../../../src/services/queue/bull-job-queue';
import { InProcessJobQueue } from '../../../src/services/queue/in-process-job-queue';
import type { JobQueue, JobRecord } from '../../../src/services/queue/job-queue';
import { connectRedis } from '../../../src/services/shared/redis';
import { TEST_REDIS_URL } from '../../support/env';
import { testRedisPrefix } from '../../support/redis';

const logger = createLogger('silent');
const FAST_BACKOFF = { baseMs: 40, maxMs: 200, jitter: 0 };

async function waitForState(queue: JobQueue, id: string, state: JobRecord['state'], timeoutMs = 10_000): Promise<JobRecord> {
  const deadline = Date.now() + timeoutMs;
  let last: JobRecord | null = null;
  while (Date.now() < deadline) {
    last = await queue.getJob('delivery.attempt', id);
    if (last?.state === state) return last;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`job ${id} did not reach ${state}; last seen ${JSON.stringify(last)}`);
}

interface Harness {
  make(): JobQueue;
  cleanup(): Promise<void>;
}

function inProcess(): Harness {
  return { make: () => new InProcessJobQueue(logger), cleanup: async () => {} };
}

function bull(): Harness {
  const prefix = testRedisPrefix();
  const connections: Redis[] = [];
  return {
    make: () => {
      const connection = connectRedis(TEST_REDIS_URL, 'test-queue');
      connections.push(connection);
      return new BullJobQueue(connection, prefix.prefix, logger);
    },
    cleanup: async () => {
      await Promise.all(connections.map((c) => c.quit()));
      await prefix.cleanup();
    },
  };
}

describe.each([
  ['in-process', inProcess],
  ['BullMQ on Redis', bull],
])('job queue contract: %s', (_name, harnessFactory) => {
  let harness: Harness;
  let queue: JobQueue;

  beforeEach(() => {
    harness = harnessFactory();
    queue = harness.make();
  });

  afterEach(async () => {
    await queue.close(5_000);
    await harness.cleanup();
  });

  it('runs a job with its data', async () => {
    const seen: string[] = [];
    queue.process('delivery.attempt', async ({ data }) => void seen.push(data.deliveryId));
    const id = await queue.enqueue('delivery.attempt', { deliveryId: `d-${7}` });
    await waitForState(queue, id, 'completed');
    expect(seen).toEqual(['d-7']);
  });

  it('retries a failing job with growing delays until it succeeds', async () => {
    const attemptsAt: number[] = [];
    queue.process('delivery.attempt', async ({ attempt }) => {
      attemptsAt.push(Date.now());
      if (attempt < 3) throw new Error(`peer down (attempt ${attempt})`);
    });
    const id = await queue.enqueue('delivery.attempt', { deliveryId: `d-${1}` }, { attempts: 5, backoff: FAST_BACKOFF });
    const job = await waitForState(queue, id, 'completed');
    expect(job.attemptsMade).toBe(3);
    const gaps = attemptsAt.slice(1).map((t, i) => t - attemptsAt[i]);
    expect(gaps[0]).toBeGreaterThanOrEqual(35);
    expect(gaps[1]).toBeGreaterThanOrEqual(75);
  });

  it('marks a job failed with the reason after its last attempt', async () => {
    queue.process('delivery.attempt', async () => {
      throw new Error('still down');
    });
    const id = await queue.enqueue('delivery.attempt', { deliveryId: `d-${1}` }, { attempts: 2, backoff: FAST_BACKOFF });
    const job = await waitForState(queue, id, 'failed');
    expect(job).toMatchObject({ attemptsMade: 2, failedReason: 'still down' });
  });

  it('drops a second job with the same id (idempotency key)', async () => {
    let runs = 0;
    const first = await queue.enqueue('delivery.attempt', { deliveryId: `d-${1}` }, { jobId: 'same-key', delayMs: 100 });
    const second = await queue.enqueue('delivery.attempt', { deliveryId: `d-${2}` }, { jobId: 'same-key' });
    expect(second).toBe(first);
    queue.process('delivery.attempt', async () => void (runs += 1));
    await waitForState(queue, 'same-key', 'completed');
    await new Promise((r) => setTimeout(r, 150));
    expect(runs).toBe(1);
  });

  it('runs up to `concurrency` jobs at once', async () => {
    let active = 0;
    let peak = 0;
    queue.process(
      'delivery.attempt',
      async () => {
        active += 1;
        peak = Math.max(peak, active);
        await new Promise((r) => setTimeout(r, 60));
        active -= 1;
      },
      { concurrency: 3 },
    );
    const ids = await Promise.all(Array.from({ length: 6 }, (_, i) => queue.enqueue('delivery.attempt', { deliveryId: `d-${i + 1}` })));
    for (const id of ids) await waitForState(queue, id, 'completed');
    expect(peak).toBe(3);
  });

  it('lets a running job finish when it does so within the grace of close', async () => {
    let finished = false;
    queue.process('delivery.attempt', async () => {
      await new Promise((r) => setTimeout(r, 150));
      finished = true;
    });
    const id = await queue.enqueue('delivery.attempt', { deliveryId: `d-${1}` });
    await waitForState(queue, id, 'active');
    await queue.close(5_000);
    expect(finished).toBe(true);
  });

  it('does not wait past the grace of close for a job that never finishes', async () => {
    queue.process('delivery.attempt', () => new Promise<void>(() => {}));
    const id = await queue.enqueue('delivery.attempt', { deliveryId: `d-${1}` });
    await waitForState(queue, id, 'active');
    const started = Date.now();
    await queue.close(300);
    expect(Date.now() - started).toBeLessThan(3_000);
  });
});

describe('BullMQ queue durability', () => {
  // The claim of a cut-off worker lapses after this (REDIS_JOB_LOCK_MS; 30 s by default).
  const LOCK_MS = 1_500;

  it('runs a job enqueued before any worker existed, in a later process lifetime', async () => {
    const prefix = testRedisPrefix();
    const producerConnection = connectRedis(TEST_REDIS_URL, 'producer');
    const producer = new BullJobQueue(producerConnection, prefix.prefix, logger);
    const id = await producer.enqueue('delivery.attempt', { deliveryId: `d-${30}` });
    await producer.close(5_000);
    await producerConnection.quit();

    const consumerConnection = connectRedis(TEST_REDIS_URL, 'consumer');
    const consumer = new BullJobQueue(consumerConnection, prefix.prefix, logger);
    const seen: string[] = [];
    consumer.process('delivery.attempt', async ({ data }) => void seen.push(data.deliveryId));
    await waitForState(consumer, id, 'completed');
    expect(seen).toEqual(['d-30']);
    await consumer.close(5_000);
    await consumerConnection.quit();
    await prefix.cleanup();
  });

  it(
    'leaves a job cut off by shutdown to be run again, not failed',
    async () => {
      const prefix = testRedisPrefix();
      const firstConnection = connectRedis(TEST_REDIS_URL, 'first');
      const first = new BullJobQueue(firstConnection, prefix.prefix, logger, undefined, LOCK_MS);
      first.process('delivery.attempt', () => new Promise<void>(() => {}));
      const id = await first.enqueue('delivery.attempt', { deliveryId: `d-${9}` });
      await waitForState(first, id, 'active');
      await first.close(200);
      await firstConnection.quit();

      // The next process finds the job still active; once the dead worker's lock lapses it is run again.
      const secondConnection = connectRedis(TEST_REDIS_URL, 'second');
      const second = new BullJobQueue(secondConnection, prefix.prefix, logger, undefined, LOCK_MS);
      expect((await second.getJob('delivery.attempt', id))?.state).toBe('active');
      const seen: string[] = [];
      second.process('delivery.attempt', async ({ data }) => void seen.push(data.deliveryId));
      const job = await waitForState(second, id, 'completed', 20 * LOCK_MS);
      expect(seen).toEqual(['d-9']);
      expect(job.failedReason).toBeUndefined();
      await second.close(5_000);
      await secondConnection.quit();
      await prefix.cleanup();
    },
    30 * LOCK_MS,
  );
});
