import type { NextFunction, Request, Response } from 'express';
import { AppError, BadUserInputError, PayloadTooLargeError } from '../errors';

interface BodyParserError extends Error {
  type?: string;
  status?: number;
  limit?: number;
}

/** Maps body-parser's failures onto our errors so they answer like every other client error. */
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
  const known = err instanceof AppError ? err : fromBodyParser(err as BodyParserError);
  if (known) {
    req.log?.info({ code: known.code, message: known.message }, 'request rejected');
    res.status(known.httpStatus).json({ errors: [{ message: known.message, extensions: { ...known.details, code: known.code } }] });
    return;
  }
  req.log?.error({ err }, 'unhandled error in an HTTP route');
  res.status(500).json({ errors: [{ message: 'Internal server error', extensions: { code: 'INTERNAL' } }] });
}

export function notFoundHandler(req: Request, res: Response): void {
  res.status(404).json({ errors: [{ message: `no route for ${req.method} ${req.path}`, extensions: { code: 'NOT_FOUND' } }] });
}
