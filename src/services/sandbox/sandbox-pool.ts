import { existsSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Piscina } from 'piscina';
import type * as worker from './sandbox.worker';

/** The tasks a sandbox worker runs, by the name its module exports them under. */
type SandboxTasks = typeof worker;
export type SandboxTaskName = keyof SandboxTasks;

/** A sandboxed task's outcome: failures are values, so the caller decides what a slow template means. */
export type SandboxResult<T> = { ok: true; value: T } | { ok: false; reason: 'timeout' | 'busy' | 'error'; message: string };

export interface SandboxOptions {
  threads: number;
  /** Tasks waiting for a thread beyond this are refused at once (`busy`) rather than queued behind a stall. */
  maxQueue: number;
  /** Heap of one worker thread, so a template cannot take the process's memory. */
  maxHeapMb?: number;
}

const WORKER_FILE = 'sandbox.worker.js';
const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');

/**
 * The compiled worker module. Next to this file once built; when this file runs from its
 * TypeScript source (the test runner), the build's copy under dist/ (tests run after the build).
 */
function workerFile(): string {
  const beside = join(__dirname, WORKER_FILE);
  if (existsSync(beside)) return beside;
  const built = join(PROJECT_ROOT, 'dist', relative(PROJECT_ROOT, __dirname), WORKER_FILE);
  if (existsSync(built)) return built;
  throw new Error(`the sandbox worker ${WORKER_FILE} is missing: run npm run build`);
}

/**
 * Worker threads for work whose cost a user controls (channel templates): each task has a hard
 * time limit, after which its thread is stopped and replaced, and the event loop that answers
 * Alertmanager never runs it.
 */
export class SandboxPool {
  private pool: Piscina | null = null;

  constructor(private readonly options: SandboxOptions) {}

  async run<N extends SandboxTaskName>(
    name: N,
    input: Parameters<SandboxTasks[N]>[0],
    timeoutMs: number,
  ): Promise<SandboxResult<Awaited<ReturnType<SandboxTasks[N]>>>> {
    const pool = this.started();
    if (pool.queueSize >= this.options.maxQueue)
      return { ok: false, reason: 'busy', message: `${pool.queueSize} sandboxed tasks are already waiting` };
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), timeoutMs);
    try {
      return { ok: true, value: await pool.run(input, { name, signal: deadline.signal }) };
    } catch (err) {
      if (deadline.signal.aborted) return { ok: false, reason: 'timeout', message: `took longer than ${timeoutMs} ms` };
      return { ok: false, reason: 'error', message: (err as Error).message.split('\n')[0] };
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    const pool = this.pool;
    this.pool = null;
    await pool?.destroy();
  }

  /** Threads start with the first task: most processes (the CLI, a worker without channels) never need one. */
  private started(): Piscina {
    if (this.pool) return this.pool;
    this.pool = new Piscina({
      filename: workerFile(),
      minThreads: 1,
      maxThreads: this.options.threads,
      maxQueue: this.options.maxQueue,
      idleTimeout: 60_000,
      resourceLimits: { maxOldGenerationSizeMb: this.options.maxHeapMb ?? 96 },
    });
    // A thread stopped for overrunning its time limit is reported here; the pool replaces it.
    this.pool.on('error', () => {});
    return this.pool;
  }
}
