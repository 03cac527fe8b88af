import { AppError } from './app-error';

/** An operation ran past its time limit; what had not started yet was not run. */
export class OperationTimeoutError extends AppError {
  readonly code = 'TIMEOUT' as const;
  readonly httpStatus = 503;
}
