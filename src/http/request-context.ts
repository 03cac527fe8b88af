import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import type { Logger } from '../services/observability/logger';

declare module 'express-serve-static-core' {
  interface Request {
    id: string;
    log: Logger;
  }
}

const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** Gives every request an id (the proxy's when it looks sane) and a logger bound to it. */
export function requestContext(logger: Logger, header: string) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.header(header);
    req.id = incoming && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    req.log = logger.child({ requestId: req.id });
    res.setHeader(header, req.id);
    next();
  };
}
