import express, { Router, type Request, type Response } from 'express';
import { AppError } from '../errors';
import { ACK_PATH } from '../shared/paths';
import type { AckService } from '../services/escalation/acknowledgements';
import type { Logger } from '../shared/logger';

const TOKEN = /^[A-Za-z0-9_-]{1,1500}\.[A-Za-z0-9_-]{1,100}$/;

const escapeHtml = (text: string) =>
  text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function page(title: string, body: string): string {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><meta name="robots" content="noindex"><title>${escapeHtml(title)}</title>
<style>body{font:16px system-ui,sans-serif;max-width:36rem;margin:3rem auto;padding:0 1rem}button{font-size:1rem;padding:.5rem 1.5rem}</style></head><body><h1>${escapeHtml(title)}</h1>${body}</body></html>`;
}

const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

/**
 * Acknowledgement links from messages. GET only shows what the link would do, with a button:
 * chat apps and mail scanners open links to preview them, and a single-use link must not be spent
 * by a preview. POST acknowledges, once; the answer says what it did (HTML, or JSON when asked).
 */
export function ackRoutes(acks: AckService, logger: Logger): Router {
  const router = Router();
  router.get(`${ACK_PATH}/:token`, (req: Request, res: Response) => {
    const token = String(req.params.token);
    res.set('cache-control', 'no-store').set('referrer-policy', 'no-referrer');
    if (!TOKEN.test(token))
      return void res
        .status(400)
        .type('html')
        .send(page('Not an acknowledgement link', '<p>This address is not an AlertAgent acknowledgement link.</p>'));
    const question = acks.preview(token);
    if (!question)
      return void res
        .status(404)
        .type('html')
        .send(page('Link not usable', '<p>This link was not issued by AlertAgent or has expired.</p>'));
    res
      .type('html')
      .send(page('Confirm', `<p>${escapeHtml(question)}</p><form method="post"><button type="submit">Confirm</button></form>`));
  });
  router.post(`${ACK_PATH}/:token`, express.urlencoded({ extended: false, limit: '1kb' }), (req: Request, res: Response) => {
    const token = String(req.params.token);
    res.set('cache-control', 'no-store').set('referrer-policy', 'no-referrer');
    const answer = (status: number, title: string, detail: Record<string, unknown>) =>
      wantsJson(req)
        ? res.status(status).json(detail)
        : res
            .status(status)
            .type('html')
            .send(page(title, `<p>${escapeHtml(String(detail.message ?? detail.did))}</p>`));
    if (!TOKEN.test(token))
      return void answer(400, 'Not an acknowledgement link', { code: 'BAD_USER_INPUT', message: 'this is not an acknowledgement link' });
    acks
      .useLink(token)
      .then((outcome) =>
        answer(200, 'Done', {
          acknowledged: outcome.target.kind !== 'remediation',
          did: `${outcome.did}, as ${outcome.acknowledgedBy}`,
          target: outcome.target,
        }),
      )
      .catch((err: unknown) => {
        if (err instanceof AppError)
          return answer(err.httpStatus, err.code === 'CONFLICT' ? 'Already used' : 'Not acknowledged', {
            code: err.code,
            message: err.message,
          });
        logger.error({ err }, 'acknowledgement link failed');
        answer(500, 'Not acknowledged', {
          code: 'INTERNAL',
          message: 'the acknowledgement could not be recorded; try again or acknowledge in AlertAgent',
        });
      });
  });
  return router;
}
