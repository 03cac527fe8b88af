import type { Server } from 'node:http';
import type { Config } from '../config';
import type { Logger } from '../shared/logger';

/**
 * Bounds what sockets can take from the process before any request is read: at most
 * `maxConnectionsPerIp` open connections from one address (more are dropped as they arrive) and
 * `maxConnections` in all (below the file-descriptor limit, so the process can always open its
 * own), and time limits on reading a request's headers and body (slow clients are cut off).
 */
export function guardConnections(server: Server, settings: Config['server'], logger: Logger): void {
  server.maxConnections = settings.maxConnections;
  server.headersTimeout = settings.headersTimeoutMs;
  server.requestTimeout = settings.requestTimeoutMs;
  server.keepAliveTimeout = settings.keepAliveTimeoutMs;
  const perAddress = new Map<string, number>();
  let refusedSince = 0;
  server.on('connection', (socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const open = (perAddress.get(address) ?? 0) + 1;
    if (open > settings.maxConnectionsPerIp) {
      socket.destroy();
      refusedSince += 1;
      if (refusedSince === 1)
        logger.warn({ address, limit: settings.maxConnectionsPerIp }, 'refusing connections from an address over its limit');
      return;
    }
    perAddress.set(address, open);
    socket.once('close', () => {
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left > 0) perAddress.set(address, left);
      else {
        perAddress.delete(address);
        if (refusedSince > 0) logger.info({ refused: refusedSince }, 'connections refused while an address was over its limit');
        refusedSince = 0;
      }
    });
  });
}
