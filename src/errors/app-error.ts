/** Codes every AlertAgent error carries; they are the GraphQL `extensions.code` and pick the HTTP status. */
export type ErrorCode =
  | 'BAD_USER_INPUT'
  | 'NOT_FOUND'
  | 'CONFLICT'
  | 'UNAUTHENTICATED'
  | 'FORBIDDEN'
  | 'PAYLOAD_TOO_LARGE'
  | 'RATE_LIMITED'
  | 'OVERLOADED'
  | 'UPSTREAM'
  | 'TIMEOUT'
  | 'INTERNAL';

export interface FieldIssue {
  /** Dotted path of the offending field, e.g. `config.webhookUrl`. */
  field: string;
  message: string;
}

/** The one base class for errors that are meant to reach a client with their message. */
export abstract class AppError extends Error {
  abstract readonly code: ErrorCode;
  abstract readonly httpStatus: number;

  constructor(
    message: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = new.target.name;
  }

  toJSON(): { message: string; code: ErrorCode } & Record<string, unknown> {
    return { message: this.message, code: this.code, ...this.details };
  }
}
