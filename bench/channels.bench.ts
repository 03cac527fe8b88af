import { spawn } from 'node:child_process';
import { RequestContext } from '@mikro-orm/core';
import { testConfig } from '../test/support/app-config';
import { alert, alertGroup } from '../test/support/alerts';
import { TEST_REDIS_URL } from '../test/support/env';
import { createTestDatabase } from '../test/support/postgres';
import { testRedisPrefix } from '../test/support/redis';
import { createServices, type Services } from '../src/services';
import { createLogger } from '../src/shared/logger';
import { CLI_PRINCIPAL } from '../src/services/security/principal';
import { percentile } from './support';

const DELIVERIES = Number(process.env.BENCH_DELIVERIES ?? 3_000);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

/** A webhook receiver in its own process, so its work does not count against ours. */
async function startPeerProcess(): Promise<{ url: string; stop(): void }> {
  const child = spawn(process.execPath, [
    '-e',
    `const s = require('http').createServer((q, r) => { q.resume(); q.on('end', () => r.writeHead(200, {'content-type':'application/json'}).end('{"ok":true}')); });
     s.keepAliveTimeout = 60000; s.listen(0, '127.0.0.1', () => console.log(s.address().port));`,
  ]);
  const port = await new Promise<string>((resolve) => child.stdout.once('data', (d) => resolve(String(d).trim())));
  return { url: `http://127.0.0.1:${port}/hook`, stop: () => child.kill() };
}

interface PathFigures {
  perSecond: number;
  send: { p50: number; p99: number };
  endToEnd: { p50: number; p99: number };
}

/** Deliveries per second through the whole delivery path (store, claim, render, send, record) to a local webhook. */
async function measurePath(
  services: Services,
  channelId: string,
  label: string,
  deliveries: number,
  concurrency: number,
): Promise<PathFigures> {
  const message = alertGroup([alert(), alert({ labels: { instance: 'b' } })]);
  const endToEnd: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < deliveries) {
        const i = next++;
        const t0 = performance.now();
        const delivery = await RequestContext.create(services.storage.orm.em, () =>
          services.deliveries.deliver(channelId, message, { source: 'bench', idempotencyKey: `bench-${label}-${i}` }),
        );
        if (delivery.status !== 'delivered') {
          console.error(`delivery ${i} ended ${delivery.status}: ${delivery.lastError}`);
          throw new Error(`delivery ${i} ended ${delivery.status}: ${delivery.lastError}`);
        }
        endToEnd.push(performance.now() - t0);
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const sends: Array<{ latency_ms: number }> = await services.storage.orm.em
    .fork()
    .getConnection()
    .execute(
      `select a."latency_ms" from "delivery_attempt" a join "delivery" d on d."id" = a."delivery_id" where a."channel_id" = ? and d."idempotency_key" like ?`,
      [channelId, `bench-${label}-%`],
    );
  const sendLatency = sends.map((r) => Number(r.latency_ms)).sort((a, b) => a - b);
  endToEnd.sort((a, b) => a - b);
  return {
    perSecond: deliveries / seconds,
    send: { p50: percentile(sendLatency, 50), p99: percentile(sendLatency, 99) },
    endToEnd: { p50: percentile(endToEnd, 50), p99: percentile(endToEnd, 99) },
  };
}

/**
 * The delivery path to a local webhook, then the same through a robot rate limit high enough
 * never to hold a message back: the second run pays for the queue and the token bucket (Redis)
 * only, so the ratio is the cost a limited channel adds when it is not throttled.
 */
export async function runChannelsBench(): Promise<void> {
  const db = await createTestDatabase();
  const redis = testRedisPrefix();
  const peer = await startPeerProcess();
  const config = testConfig({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
  const services = await createServices(config, { logger: createLogger('warn'), role: 'cli' });
  try {
    await services.migrations.up();
    const create = (name: string, deliveryPolicy?: Record<string, unknown>) =>
      RequestContext.create(services.storage.orm.em, () =>
        services.channels.create(
          { name, type: 'webhook', config: { url: peer.url, signingSecret: 'bench-signing-secret-0123' }, deliveryPolicy },
          { principal: CLI_PRINCIPAL },
        ),
      );
    const plain = await create('bench-webhook');
    const limited = await create('bench-webhook-limited', { rateLimit: { perMinute: 100_000, burst: 99_999 } });
    const line = (name: string, f: PathFigures) =>
      console.log(
        `  ${name.padEnd(30)}${f.perSecond.toFixed(0).padStart(6)} deliveries/s   send p50 ${f.send.p50.toFixed(1)} / p99 ${f.send.p99.toFixed(1)} ms   deliver() p50 ${f.endToEnd.p50.toFixed(1)} / p99 ${f.endToEnd.p99.toFixed(1)} ms`,
      );
    for (const [deliveries, concurrency] of [
      [Math.min(DELIVERIES, 500), 1],
      [DELIVERIES, CONCURRENCY],
    ] as const) {
      const direct = await measurePath(services, plain.entity.id, `direct-${concurrency}`, deliveries, concurrency);
      const bucket = await measurePath(services, limited.entity.id, `bucket-${concurrency}`, deliveries, concurrency);
      console.log(
        `\nChannel delivery to a local webhook peer (signed), ${deliveries} deliveries, ${concurrency} at once, PostgreSQL + Redis:`,
      );
      line('direct (no robot limit)', direct);
      line('token bucket, not throttled', bucket);
      console.log(
        `  token-bucket path vs direct   ${(bucket.perSecond / direct.perSecond).toFixed(2)}× throughput; deliver() ${bucket.endToEnd.p50 >= direct.endToEnd.p50 ? '+' : ''}${(bucket.endToEnd.p50 - direct.endToEnd.p50).toFixed(1)} ms p50, ${bucket.endToEnd.p99 >= direct.endToEnd.p99 ? '+' : ''}${(bucket.endToEnd.p99 - direct.endToEnd.p99).toFixed(1)} ms p99`,
      );
    }
    console.log(
      "  (one channel's queue sends one message after another, to keep their order: its throughput is bounded by the peer's round trip)",
    );
  } finally {
    await services.close();
    peer.stop();
    await db.drop();
    await redis.cleanup();
  }
}

if (require.main === module) {
  runChannelsBench().catch((err) => {
    console.error(err);
    process.exit(1);
  });
}
