import type { Logger } from '../../shared/logger';

/** Something a process runs beside serving requests: queue processors, sweeps, schedules, watchers, caches that follow changes. */
export interface BackgroundTask {
  readonly name: string;
  start(): void | Promise<void>;
  stop(): void | Promise<void>;
}

export const backgroundTask = (
  name: string,
  start: () => void | Promise<void>,
  stop: () => void | Promise<void> = () => {},
): BackgroundTask => ({ name, start, stop });

/**
 * The tasks of one process, started in the order listed and stopped in the reverse order, so a
 * task stops before what it leans on. A task that fails to start stops the start (the process
 * must not run half-wired); one that fails to stop is logged and the others still stop.
 */
export class BackgroundTasks {
  private started: BackgroundTask[] = [];

  constructor(private readonly logger: Pick<Logger, 'debug' | 'warn'>) {}

  async start(tasks: readonly BackgroundTask[]): Promise<void> {
    for (const task of tasks) {
      await task.start();
      this.started.push(task);
      this.logger.debug({ task: task.name }, 'background task started');
    }
  }

  async stop(): Promise<void> {
    for (const task of this.started.reverse()) {
      try {
        await task.stop();
      } catch (err) {
        this.logger.warn({ err, task: task.name }, 'background task did not stop cleanly');
      }
    }
    this.started = [];
  }

  /** The names of the running tasks, in start order. */
  names(): string[] {
    return this.started.map((t) => t.name);
  }
}
