import { type MikroORM, RequestContext } from '@mikro-orm/core';
import type { Logger } from '../../shared/logger';

/**
 * Work that runs every so often beside serving requests: a sweep finishing what a crash or a lost
 * job left, a schedule enqueuing the next round. Never keeps the process alive; a failed round is
 * logged and the next one runs anyway. Given the ORM, each round is a unit of work of its own
 * (a fresh fork of the entity manager), as each queue job and request is.
 */
export class PeriodicTask {
  private timer: NodeJS.Timeout | null = null;

  /** `what` names it in the log ("receipt" → "receipt sweep failed"). */
  constructor(
    private readonly what: string,
    private readonly round: () => Promise<unknown>,
    private readonly logger: Pick<Logger, 'warn'>,
    private readonly orm?: MikroORM,
  ) {}

  /** `atOnce`: a first round now, not only after the first interval. */
  start(intervalMs: number, atOnce = false): void {
    this.stop();
    const run = () => void this.runOnce().catch((err) => this.logger.warn({ err }, `${this.what} sweep failed`));
    if (atOnce) run();
    this.timer = setInterval(run, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }

  private runOnce(): Promise<unknown> {
    const { orm } = this;
    return orm ? RequestContext.create(orm.em, this.round) : this.round();
  }
}
