import { AppError } from './app-error';

/** A referenced record does not exist (or is not visible to the caller). */
export class NotFoundError extends AppError {
  readonly code = 'NOT_FOUND' as const;
  readonly httpStatus = 404;

  static assert<T>(value: T | null | undefined, what: string, id: string): T {
    if (value === null || value === undefined) throw new NotFoundError(`${what} ${id} not found`, { id });
    return value;
  }
}
