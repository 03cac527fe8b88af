import { AppError } from './app-error';

/** A peer AlertAgent depends on (database, Redis, a channel) failed in a way the caller should know about. */
export class UpstreamError extends AppError {
  readonly code = 'UPSTREAM' as const;
  readonly httpStatus = 502;
}
