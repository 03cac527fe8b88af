import { AppError } from './app-error';

/** The caller, or a peer on its behalf, is over a rate limit; retry later. */
export class RateLimitedError extends AppError {
  readonly code = 'RATE_LIMITED' as const;
  readonly httpStatus = 429;

  /** `retryAfterSeconds` is answered as Retry-After (and `extensions.retryAfterSeconds`). */
  constructor(
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(message, retryAfterSeconds === undefined ? {} : { retryAfterSeconds });
  }
}
