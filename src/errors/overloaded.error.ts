import { AppError } from './app-error';
import { RateLimitedError } from './rate-limited.error';

/** The server holds as much work as it can finish soon; the same request will succeed later. */
export class OverloadedError extends AppError {
  readonly code = 'OVERLOADED' as const;
  readonly httpStatus = 503;

  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message, { retryAfterSeconds });
  }
}

/** The Retry-After an error answers with, if it has one. */
export function retryAfterOf(err: unknown): number | undefined {
  return err instanceof RateLimitedError || err instanceof OverloadedError ? err.retryAfterSeconds : undefined;
}
