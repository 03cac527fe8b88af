import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';
import { postGraphQL, startServeProcess, type ServeProcess } from '../test/support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../test/support/env';
import { createTestDatabase } from '../test/support/postgres';
import { testRedisPrefix } from '../test/support/redis';
import { percentile } from './support';

const BOOTSTRAP = 'bench-bootstrap-token-0123456789abcdef';
const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

async function load(title: string, url: string, query: string, token?: string): Promise<void> {
  const result = await autocannon({
    url,
    method: 'POST',
    connections: CONNECTIONS,
    duration: DURATION_S,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  const failures = result.non2xx + result.errors + result.timeouts;
  console.log(
    `${title.padEnd(44)} ${result.requests.average.toFixed(0).padStart(7)} req/s   p50 ${String(result.latency.p50).padStart(4)} ms   p99 ${String(result.latency.p99).padStart(4)} ms   failures ${failures}`,
  );
}

/** Time from a mutation on replica A to the matching event on a graphql-ws subscriber of replica B. */
async function crossReplicaLatency(a: ServeProcess, b: ServeProcess, token: string, prefix: string, samples: number): Promise<void> {
  const client = createClient({
    url: b.url.replace('http', 'ws'),
    webSocketImpl: WebSocket,
    connectionParams: { authorization: `Bearer ${token}` },
  });
  // The event may arrive before the mutation's own response does, so arrivals are kept by id.
  const arrivals = new Map<string, number>();
  const waiting = new Map<string, (at: number) => void>();
  const unsubscribe = client.subscribe<{ auditEventRecorded: { targetId: string } }>(
    { query: 'subscription { auditEventRecorded { targetId } }' },
    {
      next: ({ data }) => {
        const id = data!.auditEventRecorded.targetId;
        const at = performance.now();
        const resolve = waiting.get(id);
        if (resolve) resolve(at);
        else arrivals.set(id, at);
      },
      error: () => {},
      complete: () => {},
    },
  );
  const redis = new Redis(TEST_REDIS_URL);
  while (Number(((await redis.pubsub('NUMSUB', `${prefix}:events:audit.recorded`)) as [string, number])[1]) < 1) {
    await new Promise((r) => setTimeout(r, 20));
  }
  redis.disconnect();

  const latencies: number[] = [];
  for (let i = 0; i < samples; i += 1) {
    const started = performance.now();
    const created = await postGraphQL(
      a.url,
      `mutation { createApiToken(input: { name: "bench-${i}", role: VIEWER }) { apiToken { id } } }`,
      token,
    );
    const id: string = created.data.createApiToken.apiToken.id;
    const arrived = arrivals.get(id) ?? (await new Promise<number>((resolve) => waiting.set(id, resolve)));
    waiting.delete(id);
    arrivals.delete(id);
    latencies.push(arrived - started);
  }
  unsubscribe();
  await client.dispose();
  latencies.sort((x, y) => x - y);
  console.log(
    `${'mutation on A → subscriber on B (Redis)'.padEnd(44)} ${String(samples).padStart(7)} samples p50 ${percentile(latencies, 50).toFixed(1)} ms   p99 ${percentile(latencies, 99).toFixed(1)} ms`,
  );
}

/** GraphQL throughput and latency of a real `serve` process on PostgreSQL + Redis, and event fan-out across replicas. */
export async function runGraphQLBench(): Promise<void> {
  const db = await createTestDatabase();
  const redis = testRedisPrefix();
  const env = {
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redis.prefix,
    AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'warn',
    EGRESS_LOOPBACK: 'allow',
    GRAPHQL_REQUESTS_PER_MINUTE_PER_IP: '100000000',
  };
  const a = await startServeProcess(env);
  const b = await startServeProcess(env);
  try {
    const created = await postGraphQL(a.url, 'mutation { createApiToken(input: { name: "bench", role: ADMIN }) { token } }', BOOTSTRAP);
    const token: string = created.data.createApiToken.token;
    console.log(`GraphQL over HTTP, ${CONNECTIONS} connections, ${DURATION_S} s each, server in its own process (PostgreSQL + Redis):`);
    await load('{ version } — no auth, no I/O', a.url, '{ version { version } }');
    await load('{ viewer } — API token checked in PostgreSQL', a.url, '{ viewer { name role } }', token);
    await load('{ health } — pings PostgreSQL and Redis', a.url, '{ health { status } }');
    await crossReplicaLatency(a, b, token, redis.prefix, 200);
  } finally {
    await a.stop();
    await b.stop();
    await db.drop();
    await redis.cleanup();
  }
}
