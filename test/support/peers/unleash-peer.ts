import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PeerToggle {
  name: string;
  enabled: boolean;
}

/**
 * A local server speaking the Unleash client API as SDKs use it: GET /api/client/features
 * with the client token in Authorization (401 otherwise), ETag / If-None-Match → 304, and
 * POST /api/client/register and /api/client/metrics answered 202.
 */
export class UnleashPeer {
  private server: Server | null = null;
  private toggles: PeerToggle[] = [];
  readonly featureRequests: Array<{ authorization?: string; appName?: string }> = [];
  registered = 0;

  constructor(readonly token: string) {}

  setToggles(toggles: PeerToggle[]): void {
    this.toggles = toggles;
  }

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      void readBody(req).then(() => {
        const url = new URL(req.url ?? '/', 'http://peer');
        const authorized = req.headers.authorization === this.token;
        if (url.pathname === '/api/client/features' && req.method === 'GET') {
          this.featureRequests.push({ authorization: req.headers.authorization, appName: req.headers['unleash-appname'] as string });
          if (!authorized) return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"invalid token"}');
          const body = JSON.stringify({
            version: 2,
            features: this.toggles.map((t) => ({
              name: t.name,
              enabled: t.enabled,
              type: 'release',
              project: 'default',
              stale: false,
              strategies: [{ name: 'default', parameters: {}, constraints: [] }],
              variants: [],
            })),
          });
          const etag = `"${createHash('sha1').update(body).digest('hex')}"`;
          if (req.headers['if-none-match'] === etag) return void res.writeHead(304, { etag }).end();
          return void res.writeHead(200, { 'content-type': 'application/json', etag }).end(body);
        }
        if ((url.pathname === '/api/client/register' || url.pathname === '/api/client/metrics') && req.method === 'POST') {
          if (!authorized) return void res.writeHead(401).end();
          if (url.pathname.endsWith('register')) this.registered += 1;
          return void res.writeHead(202).end();
        }
        res.writeHead(404).end();
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}/api`;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => resolve(body));
  });
}
