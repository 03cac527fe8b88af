import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface PeerRequest {
  method: string;
  url: URL;
  headers: IncomingHttpHeaders;
  body: string;
  receivedAt: number;
}

export interface PeerReply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
  /** Server-sent events instead of a body: each written as `data: <json>` (or a named event), after its delay. */
  sse?: Array<{ event?: string; data?: unknown; delayMs?: number }>;
  /** Answer only after this long (a slow peer). */
  delayMs?: number;
  /** Never answer (a hanging peer); the connection is dropped when the peer stops. */
  hang?: boolean;
}

/** A loopback HTTP server whose answers a test peer decides; it records every request. */
export class HttpPeer {
  private server: Server | null = null;
  readonly requests: PeerRequest[] = [];
  port = 0;

  constructor(private readonly handle: (request: PeerRequest) => PeerReply | Promise<PeerReply>) {}

  get baseUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', async () => {
        const request: PeerRequest = {
          method: req.method ?? 'GET',
          url: new URL(req.url ?? '/', 'http://peer'),
          headers: req.headers,
          body: Buffer.concat(chunks).toString('utf8'),
          receivedAt: Date.now(),
        };
        this.requests.push(request);
        const reply = await this.handle(request);
        if (reply.hang) return;
        if (reply.delayMs) await new Promise((r) => setTimeout(r, reply.delayMs));
        if (reply.sse) {
          res.writeHead(reply.status, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...reply.headers });
          for (const event of reply.sse) {
            if (event.delayMs) await new Promise((r) => setTimeout(r, event.delayMs));
            if (res.destroyed) return;
            res.write(
              `${event.event ? `event: ${event.event}\n` : ''}${event.data === undefined ? '' : `data: ${JSON.stringify(event.data)}\n`}\n`,
            );
          }
          res.end();
          return;
        }
        const text = reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
        const type = typeof reply.body === 'string' ? 'text/plain' : 'application/json';
        if (!res.destroyed) res.writeHead(reply.status, { 'content-type': type, ...reply.headers }).end(text);
      });
    });
    await new Promise<void>((resolve) => this.server!.listen(port, '127.0.0.1', resolve));
    this.port = (this.server!.address() as AddressInfo).port;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server!.close(() => resolve()));
    this.server = null;
  }
}

/** A per-minute limit over a sliding window (stricter than a fixed one), as DingTalk and WeCom apply per robot. */
export class PerMinuteLimit {
  private readonly sent: number[] = [];

  constructor(private readonly limit: number) {}

  /** Counts a request; false when it would be more than `limit` in the 60 seconds ending now, wherever the minute starts. */
  allow(now = Date.now()): boolean {
    while (this.sent.length > 0 && now - this.sent[0]! >= 60_000) this.sent.shift();
    if (this.sent.length >= this.limit) return false;
    this.sent.push(now);
    return true;
  }
}
