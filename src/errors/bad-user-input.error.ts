import { z } from 'zod';
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

  /** The value as an id, or refused as `field: message` (an id that is not a UUID names nothing, and is not looked up). */
  static assertUuid(value: unknown, field: string, message: string): string {
    const parsed = z.uuid().safeParse(value);
    if (!parsed.success) throw BadUserInputError.forField(field, message);
    return parsed.data;
  }
}
