import { spawn } from 'node:child_process';
import { RequestContext } from '@mikro-orm/core';
import { testConfig } from '../test/support/app-config';
import { alert, alertGroup } from '../test/support/alerts';
import { TEST_REDIS_URL } from '../test/support/env';
import { createTestDatabase } from '../test/support/postgres';
import { testRedisPrefix } from '../test/support/redis';
import { createServices } from '../src/services';
import { createLogger } from '../src/services/observability/logger';
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

/** Deliveries per second through the whole delivery path (store, claim, render, send, record) to a local webhook. */
export async function runChannelsBench(): Promise<void> {
  const db = await createTestDatabase();
  const redis = testRedisPrefix();
  const peer = await startPeerProcess();
  const config = testConfig({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
  const services = await createServices(config, { logger: createLogger('warn'), role: 'cli' });
  try {
    await services.migrations.up();
    const channel = await RequestContext.create(services.storage.orm.em, () =>
      services.channels.create({ name: 'bench-webhook', type: 'webhook', config: { url: peer.url, signingSecret: 'bench-signing-secret-0123' } }, { principal: CLI_PRINCIPAL }),
    );
    const message = alertGroup([alert(), alert({ labels: { instance: 'b' } })]);
    const endToEnd: number[] = [];
    let next = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (next < DELIVERIES) {
          const i = next++;
          const t0 = performance.now();
          const delivery = await RequestContext.create(services.storage.orm.em, () =>
            services.deliveries.deliver(channel.entity.id, message, { source: 'bench', idempotencyKey: `bench-${i}` }),
          );
          if (delivery.status !== 'delivered') throw new Error(`delivery ${i} ended ${delivery.status}: ${delivery.lastError}`);
          endToEnd.push(performance.now() - t0);
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const sends: Array<{ latency_ms: number }> = await services.storage.orm.em.fork().getConnection().execute(`select "latency_ms" from "delivery_attempt"`);
    const sendLatency = sends.map((r) => Number(r.latency_ms)).sort((a, b) => a - b);
    endToEnd.sort((a, b) => a - b);
    console.log(`\nChannel delivery to a local webhook peer (signed), ${DELIVERIES} deliveries, ${CONCURRENCY} at once, PostgreSQL + Redis:`);
    console.log(`  throughput                        ${(DELIVERIES / seconds).toFixed(0)} deliveries/s`);
    console.log(`  send latency (peer round trip)    p50 ${percentile(sendLatency, 50).toFixed(1)} ms   p99 ${percentile(sendLatency, 99).toFixed(1)} ms`);
    console.log(`  deliver() end to end (with DB)    p50 ${percentile(endToEnd, 50).toFixed(1)} ms   p99 ${percentile(endToEnd, 99).toFixed(1)} ms`);
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
