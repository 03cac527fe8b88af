import { AppError } from './app-error';

/** A request body over the configured limit. */
export class PayloadTooLargeError extends AppError {
  readonly code = 'PAYLOAD_TOO_LARGE' as const;
  readonly httpStatus = 413;
}
