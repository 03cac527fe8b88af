import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { productionServeEnv, startServeProcess, type ServeProcess } from '../test/support/cli-process';
import { createTestDatabase } from '../test/support/postgres';
import { processTree, statFields } from '../test/support/processes';
import { testRedisPrefix } from '../test/support/redis';

export interface Spawned {
  url: string;
  child: ChildProcess;
}

/** Runs a script in a Node process of its own; it prints its port first. */
export async function spawnScript(script: string, args: string[] = []): Promise<Spawned> {
  const child = spawn(process.execPath, ['-e', script, ...args]);
  const port = await new Promise<string>((resolve) => child.stdout!.once('data', (d) => resolve(String(d).trim())));
  return { url: `http://127.0.0.1:${port}`, child };
}

/** CPU seconds a process and its children have used (user + system), from /proc; null where there is no /proc. */
export function cpuSeconds(pid: number | undefined): number | null {
  if (pid === undefined || !statFields(pid)) return null;
  return processTree(pid).reduce((sum, each) => {
    const fields = statFields(each);
    return fields ? sum + (Number(fields[11]) + Number(fields[12])) / 100 : sum;
  }, 0);
}

/** Resident memory of a process and its children in MB, from /proc; null where there is no /proc. */
export function rssMb(pid: number | undefined): number | null {
  if (pid === undefined || !statFields(pid)) return null;
  return processTree(pid).reduce((sum, each) => {
    try {
      const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${each}/status`, 'utf8'))?.[1];
      return sum + (kb ? Number(kb) / 1024 : 0);
    } catch {
      return sum;
    }
  }, 0);
}

/**
 * The channel peer, in a process of its own: counts alerts and, from the send time each carries
 * (annotation `sentAt`, epoch ms; 0 = not timed), the latency to arrival. GET answers
 * `{ alerts, p50, p99 }`; POST /reset starts counting afresh.
 */
export const CHANNEL_PEER = `
const latencies = []; let alerts = 0;
const s = require('http').createServer((q, r) => {
  if (q.method === 'GET') { const sorted = latencies.slice().sort((a, b) => a - b);
    const p = (x) => sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(x * sorted.length))] : null;
    return r.end(JSON.stringify({ alerts, p50: p(0.5), p99: p(0.99) })); }
  if (q.url === '/reset') { latencies.length = 0; alerts = 0; q.resume(); return r.end('{}'); }
  let body = ''; q.on('data', (c) => body += c); q.on('end', () => {
    const now = Date.now();
    for (const a of JSON.parse(body).alerts) { alerts++; const sent = Number(a.annotations.sentAt); if (sent > 0) latencies.push(now - sent); }
    r.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'); });
});
s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`;

export interface BenchServer {
  server: ServeProcess;
  /** Its PostgreSQL database, for benches that write recorded traffic straight into it. */
  databaseUrl: string;
  /** Stops the server and removes its database and Redis keys (once, however often called). */
  stop(): Promise<void>;
}

/** A `serve` process in production mode (its own PostgreSQL database and Redis key prefix) with `bootstrap` as admin token. */
export async function startBenchServer(bootstrap: string, env: Record<string, string> = {}): Promise<BenchServer> {
  const db = await createTestDatabase();
  const redis = testRedisPrefix();
  const server = await startServeProcess({
    ...productionServeEnv(db.url, redis.prefix, bootstrap),
    LOG_LEVEL: 'warn',
    ...env,
    ...serveEnvOverrides(),
  });
  let stopped: Promise<void> | undefined;
  return {
    server,
    databaseUrl: db.url,
    stop() {
      stopped ??= (async () => {
        await server.stop();
        await db.drop();
        await redis.cleanup();
      })();
      return stopped;
    },
  };
}

/** BENCH_SERVE_ENV="WS_PROCESS=inline,WS_FLUSH_MS=50": settings for the server under test, to compare them on one machine. */
function serveEnvOverrides(): Record<string, string> {
  const pairs = (process.env.BENCH_SERVE_ENV ?? '').split(',').filter((pair) => pair.includes('='));
  return Object.fromEntries(pairs.map((pair) => [pair.slice(0, pair.indexOf('=')).trim(), pair.slice(pair.indexOf('=') + 1).trim()]));
}

/** The p-th percentile of numbers sorted ascending. */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
}
