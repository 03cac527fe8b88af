import { AppError } from './app-error';

/** A failure of our own; its message is logged, never shown to clients. */
export class InternalError extends AppError {
  readonly code = 'INTERNAL' as const;
  readonly httpStatus = 500;
}
