import { BackgroundTasks, backgroundTask } from '../../../src/services/shared/background-task';

function recorder() {
  const log: string[] = [];
  const warnings: Array<{ task?: string }> = [];
  const logger = { debug: () => {}, warn: (fields: { task?: string }) => void warnings.push(fields) };
  const task = (name: string, options: { failStart?: boolean; failStop?: boolean } = {}) =>
    backgroundTask(
      name,
      async () => {
        if (options.failStart) throw new Error(`${name} cannot start`);
        log.push(`start ${name}`);
      },
      async () => {
        log.push(`stop ${name}`);
        if (options.failStop) throw new Error(`${name} cannot stop`);
      },
    );
  return { log, warnings, logger, task };
}

describe('BackgroundTasks', () => {
  it('starts in the order listed and stops in the reverse order', async () => {
    const { log, logger, task } = recorder();
    const tasks = new BackgroundTasks(logger);
    await tasks.start([task('caches'), task('gateway'), task('deliveries')]);
    expect(tasks.names()).toEqual(['caches', 'gateway', 'deliveries']);
    await tasks.stop();
    expect(log).toEqual(['start caches', 'start gateway', 'start deliveries', 'stop deliveries', 'stop gateway', 'stop caches']);
    expect(tasks.names()).toEqual([]);
  });

  it('stops the others when one fails to stop, and says which', async () => {
    const { log, warnings, logger, task } = recorder();
    const tasks = new BackgroundTasks(logger);
    await tasks.start([task('a'), task('b', { failStop: true }), task('c')]);
    await tasks.stop();
    expect(log.filter((l) => l.startsWith('stop'))).toEqual(['stop c', 'stop b', 'stop a']);
    expect(warnings.map((w) => w.task)).toEqual(['b']);
  });

  it('refuses to run half-wired: a task that cannot start stops the start, and stop undoes only what started', async () => {
    const { log, logger, task } = recorder();
    const tasks = new BackgroundTasks(logger);
    await expect(tasks.start([task('a'), task('b', { failStart: true }), task('c')])).rejects.toThrow('b cannot start');
    await tasks.stop();
    expect(log).toEqual(['start a', 'stop a']);
  });
});
