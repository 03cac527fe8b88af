import { AppError } from './app-error';

/** The caller is known but its role does not allow the action. */
export class ForbiddenError extends AppError {
  readonly code = 'FORBIDDEN' as const;
  readonly httpStatus = 403;
}
