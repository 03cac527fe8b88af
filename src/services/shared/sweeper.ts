import type { Logger } from '../../shared/logger';

/**
 * A safety net that runs every so often (finishing what a crash or a lost job left): never keeps
 * the process alive, and a failed round is logged while the next one runs anyway.
 */
export class Sweeper {
  private timer: NodeJS.Timeout | null = null;

  /** `what` names it in the log ("receipt" → "receipt sweep failed"). */
  constructor(
    private readonly what: string,
    private readonly sweep: () => Promise<unknown>,
    private readonly logger: Pick<Logger, 'warn'>,
  ) {}

  /** `atOnce`: a first round now, not only after the first interval. */
  start(intervalMs: number, atOnce = false): void {
    const round = () => void this.sweep().catch((err) => this.logger.warn({ err }, `${this.what} sweep failed`));
    if (atOnce) round();
    this.timer = setInterval(round, intervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
  }
}
