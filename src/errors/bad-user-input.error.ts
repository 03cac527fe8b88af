import { AppError, type FieldIssue } from './app-error';

/** Input that will never be valid as sent; lists the fields at fault. */
export class BadUserInputError extends AppError {
  readonly code = 'BAD_USER_INPUT' as const;
  readonly httpStatus = 400;

  constructor(message: string, issues: FieldIssue[] = []) {
    super(message, issues.length > 0 ? { issues } : {});
  }

  static forField(field: string, message: string): BadUserInputError {
    return new BadUserInputError(`${field}: ${message}`, [{ field, message }]);
  }
}
