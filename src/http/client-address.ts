import type { IncomingMessage } from 'node:http';
import proxyAddr from 'proxy-addr';

/**
 * The client's address as rate limits and logs should see it: forwarded-for headers count only
 * when they come from a proxy this server trusts (by default loopback and private addresses), so a
 * client on the internet cannot choose its own address by sending the header.
 */
export function clientAddress(trust: string): { trust: (address: string, hop: number) => boolean; of(req: IncomingMessage): string } {
  const compiled = proxyAddr.compile(
    trust
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean),
  );
  return {
    trust: compiled,
    of: (req) => proxyAddr(req, compiled),
  };
}
