import { AppError } from './app-error';

/** The caller, or a peer on its behalf, is over a rate limit; retry later. */
export class RateLimitedError extends AppError {
  readonly code = 'RATE_LIMITED' as const;
  readonly httpStatus = 429;
}
