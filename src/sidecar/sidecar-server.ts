import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConfigSidecar } from './config-sidecar';

/** The sidecar's own endpoints: /metrics (Prometheus text) and /healthz (alive, with its sync state). */
export async function startSidecarServer(sidecar: ConfigSidecar, host: string, port: number): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/metrics') {
      sidecar.metrics.registry
        .metrics()
        .then((text) => res.writeHead(200, { 'content-type': sidecar.metrics.registry.contentType }).end(text))
        .catch(() => res.writeHead(500).end());
      return;
    }
    if (req.method === 'GET' && req.url === '/healthz') {
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(sidecar.status()));
      return;
    }
    res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: `no route for ${req.method} ${req.url}` }));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return { server, port: (server.address() as AddressInfo).port };
}
