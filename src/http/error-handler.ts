import type { NextFunction, Request, Response } from 'express';
import { AppError, BadUserInputError, PayloadTooLargeError, retryAfterOf } from '../errors';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps body-parser's (and raw-body's) failures onto our errors so they answer like every other client error. */
function fromBodyParser(err: BodyParserError): AppError | null {
  switch (err.type) {
    case 'entity.too.large':
      return new PayloadTooLargeError(`request body exceeds the limit of ${err.limit} bytes`);
    case 'entity.parse.failed':
      return new BadUserInputError(`request body is not valid JSON: ${err.message}`);
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new BadUserInputError(err.message);
    default:
      return null;
  }
}

/**
 * The only place a plain-HTTP error becomes a response. The body is shaped like a GraphQL
 * error list, so a client of /graphql reads a rejected body the same way as a rejected query.
 */
export function errorHandler(err: unknown, req: Request, res: Response, _next: NextFunction): void {
  const failure = httpFailure(err);
  if (failure.known) req.log?.info({ code: failure.known.code, message: failure.known.message }, 'request rejected');
  else req.log?.error({ err }, 'unhandled error in an HTTP route');
  const retryAfter = retryAfterOf(failure.known);
  if (retryAfter !== undefined) res.setHeader('retry-after', String(retryAfter));
  res.status(failure.status).json(failure.body);
}

/** What a failed plain-HTTP request answers; `known` is null for a failure nobody foresaw (a 500). */
export function httpFailure(err: unknown): {
  status: number;
  body: { errors: Array<{ message: string; extensions: Record<string, unknown> }> };
  known: AppError | null;
} {
  const known = err instanceof AppError ? err : fromBodyParser(err as BodyParserError);
  if (!known)
    return { status: 500, body: { errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL' } }] }, known: null };
  return {
    status: known.httpStatus,
    body: { errors: [{ message: known.message, extensions: { ...known.details, code: known.code } }] },
    known,
  };
}

export function notFoundHandler(req: Request, res: Response): void {
  res.status(404).json({ errors: [{ message: `no route for ${req.method} ${req.path}`, extensions: { code: 'NOT_FOUND' } }] });
}
