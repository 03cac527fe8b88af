import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import express, { Router, type Response } from 'express';

/**
 * The console (at /) and the GraphQL explorer (at /graphql, for browsers), built by `npm run build`
 * into dist/web. Everything they load comes from here: no CDN, so both work air-gapped. The headers
 * keep the pages from loading anything of another origin and from being framed by one.
 */
const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
};

/** dist/web beside the compiled server, or (tests run the sources) the repository's dist/web. */
export function consoleDirectory(): string | null {
  const candidates = [resolve(__dirname, '..', '..', 'web'), resolve(__dirname, '..', '..', 'dist', 'web')];
  return candidates.find((dir) => existsSync(join(dir, 'index.html')) && existsSync(join(dir, 'assets'))) ?? null;
}

/** `dir`: the built pages (consoleDirectory), or null when they are not built. */
export function consoleRoutes(graphqlPath: string, dir: string | null): Router {
  const router = Router();
  const page = (file: string) => (_req: unknown, res: Response) => {
    if (!dir) {
      res
        .status(404)
        .json({ errors: [{ message: 'the web console is not built: run `npm run build`', extensions: { code: 'NOT_FOUND' } }] });
      return;
    }
    res.set({ ...SECURITY_HEADERS, 'cache-control': 'no-cache' }).sendFile(join(dir, file));
  };
  router.get('/', page('index.html'));
  // A browser opening the API gets the explorer; a GraphQL client's GET (?query=…) goes on to the API.
  router.get(graphqlPath, (req, res, next) => {
    if (req.query.query === undefined && req.accepts(['application/json', 'text/html']) === 'text/html') page('explorer.html')(req, res);
    else next();
  });
  if (dir) {
    // File names carry a hash of their content: cached for good, and a new build brings new names.
    router.use(
      '/assets',
      express.static(join(dir, 'assets'), {
        immutable: true,
        maxAge: '365d',
        index: false,
        setHeaders: (res) => res.set(SECURITY_HEADERS),
      }),
    );
  }
  return router;
}
