import { AppError } from './app-error';

/** No credentials, or credentials that do not verify. */
export class UnauthenticatedError extends AppError {
  readonly code = 'UNAUTHENTICATED' as const;
  readonly httpStatus = 401;
}
