import { AppError } from './app-error';

/** The request collides with existing state (duplicate name, stale version). */
export class ConflictError extends AppError {
  readonly code = 'CONFLICT' as const;
  readonly httpStatus = 409;
}
