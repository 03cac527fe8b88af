import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../shared/logger';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The proxy's request id when it looks sane, else a new one. */
export function requestIdFrom(incoming: string | string[] | undefined): string {
  return typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** Gives every request an id and a logger bound to it. */
export function requestContext(logger: Logger, header: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    req.id = requestIdFrom(req.header(header));
    req.log = logger.child({ requestId: req.id });
    res.setHeader(header, req.id);
    next();
  };
}
