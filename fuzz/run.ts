import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAppSchema } from '../src/schema/build-schema';
import { validPayload } from '../test/support/alerts';
import { postGraphQL, startServeProcess, type ServeProcess } from '../test/support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../test/support/env';
import { WebhookPeer } from '../test/support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../test/support/postgres';
import { testRedisPrefix } from '../test/support/redis';
import { graphqlCase, type GraphQLCase } from './graphql';
import { Random } from './random';
import { webhookCase, type WebhookCase } from './webhooks';

export type FuzzMode = 'postgres' | 'embedded';

export interface FuzzOptions {
  webhooks: number;
  graphql: number;
  seed: number;
  modes: FuzzMode[];
  concurrency: number;
}

/** What one storage mode answered, counted, with the first few answers that should not have happened. */
export interface ModeReport {
  mode: FuzzMode;
  webhookStatuses: Record<string, number>;
  graphqlStatuses: Record<string, number>;
  graphqlCodes: Record<string, number>;
  /** 5xx answers, INTERNAL errors, requests that got no answer. */
  failures: number;
  examples: string[];
  aliveAtEnd: boolean;
}

const BOOTSTRAP = 'fuzz-bootstrap-token-0123456789abcdef';
const REQUEST_TIMEOUT_MS = 30_000;

function count(map: Record<string, number>, key: string): void {
  map[key] = (map[key] ?? 0) + 1;
}

/** Runs `work` over `items` with at most `limit` at once. */
async function pool<T>(items: number, limit: number, work: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items) await work(next++);
    }),
  );
}

interface Target {
  server: ServeProcess;
  baseUrl: string;
  stop(): Promise<void>;
}

async function startMode(mode: FuzzMode): Promise<Target> {
  // GraphQL's per-address and per-caller rate limits would answer most of the load with 429 before it reached a resolver.
  const common = {
    AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
    LOG_LEVEL: 'error',
    GRAPHQL_REQUESTS_PER_MINUTE_PER_IP: '100000000',
    GRAPHQL_COST_PER_MINUTE: '1000000000',
    GRAPHQL_MAX_CONCURRENT: '1000',
  };
  if (mode === 'embedded') {
    const dataDir = mkdtempSync(join(tmpdir(), 'aa-fuzz-'));
    const server = await startServeProcess({ ...common, DATA_DIR: dataDir });
    return {
      server,
      baseUrl: server.url.replace('/graphql', ''),
      stop: async () => void (await server.stop(), rmSync(dataDir, { recursive: true, force: true })),
    };
  }
  const db: TestDatabase = await createTestDatabase();
  const redis = testRedisPrefix();
  const server = await startServeProcess({
    ...common,
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redis.prefix,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
  });
  return {
    server,
    baseUrl: server.url.replace('/graphql', ''),
    stop: async () => {
      await server.stop();
      await db.drop();
      await redis.cleanup();
    },
  };
}

async function send(url: string, init: RequestInit): Promise<{ status: number; text: string }> {
  try {
    const response = await fetch(url, { ...init, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
    return { status: response.status, text: await response.text() };
  } catch (err) {
    // fetch hides the socket's own words in `cause` (ECONNRESET, "other side closed", ...).
    const cause = (err as Error & { cause?: { code?: string; message?: string } }).cause;
    return { status: 0, text: `no answer: ${(err as Error).message}${cause ? ` (${cause.code ?? ''} ${cause.message ?? ''})` : ''}` };
  }
}

/** Fuzzes one storage mode: webhooks first, then GraphQL, then checks the server still stores and answers. */
async function fuzzMode(mode: FuzzMode, options: FuzzOptions): Promise<ModeReport> {
  const random = new Random(options.seed);
  const schema = await buildAppSchema();
  const peer = new WebhookPeer();
  await peer.start();
  const target = await startMode(mode);
  const report: ModeReport = {
    mode,
    webhookStatuses: {},
    graphqlStatuses: {},
    graphqlCodes: {},
    failures: 0,
    examples: [],
    aliveAtEnd: false,
  };
  const fail = (what: string) => {
    report.failures += 1;
    if (report.examples.length < 10) report.examples.push(what.slice(0, 400));
  };
  try {
    const gql = (query: string, token = BOOTSTRAP) => postGraphQL(target.server.url, query, token);
    const channel = (
      await gql(`mutation { createChannel(input: { name: "fuzz-peer", type: "webhook", config: { url: "${peer.baseUrl}/h" } }) { id } }`)
    ).data.createChannel.id as string;
    const route = (await gql(`mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel}"] }) { id } }`)).data
      .createRoute.id as string;
    const cluster = (
      await gql('mutation { createCluster(input: { name: "prod-eu", alertmanagerUrls: ["http://127.0.0.1:9"] }) { cluster { id } } }')
    ).data.createCluster.cluster.id as string;
    const tokens = {
      anonymous: undefined,
      viewer: (await gql('mutation { createApiToken(input: { name: "fuzz-viewer", role: VIEWER }) { token } }')).data.createApiToken
        .token as string,
      operator: (await gql('mutation { createApiToken(input: { name: "fuzz-operator", role: OPERATOR }) { token } }')).data.createApiToken
        .token as string,
      admin: BOOTSTRAP,
    };
    const ids = [channel, route, cluster];

    await pool(options.webhooks, options.concurrency, async () => {
      const kase: WebhookCase = webhookCase(random, tokens.operator);
      const path = `/api/v1/alerts/alertmanager${kase.cluster !== undefined ? `/${encodeURIComponent(kase.cluster)}` : ''}`;
      const { status, text } = await send(`${target.baseUrl}${path}`, { method: 'POST', headers: kase.headers, body: kase.body });
      count(report.webhookStatuses, String(status));
      if (status === 0 || status >= 500) fail(`webhook ${kase.kind}: ${status} ${text}`);
    });

    await pool(options.graphql, options.concurrency, async () => {
      const kase: GraphQLCase = graphqlCase(schema, random, ids);
      const token = tokens[kase.role];
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        ...(token ? { authorization: `Bearer ${token}` } : {}),
      };
      const { status, text } =
        kase.method === 'GET'
          ? await send(`${target.server.url}?${kase.query}`, { method: 'GET', headers })
          : await send(target.server.url, { method: 'POST', headers, body: kase.body });
      count(report.graphqlStatuses, String(status));
      let codes: string[] = [];
      try {
        const parsed = JSON.parse(text) as
          | { errors?: Array<{ extensions?: { code?: string } }> }
          | Array<{ errors?: Array<{ extensions?: { code?: string } }> }>;
        codes = (Array.isArray(parsed) ? parsed : [parsed]).flatMap((r) => r.errors ?? []).map((e) => e.extensions?.code ?? 'none');
      } catch {
        codes = status === 0 ? [] : ['(body not JSON)'];
      }
      for (const code of new Set(codes)) count(report.graphqlCodes, code);
      if (status === 0 || status >= 500 || codes.includes('INTERNAL'))
        fail(`graphql ${kase.kind} as ${kase.role}: ${status} ${text} <- ${kase.body ?? kase.query}`);
    });

    // Still storing and answering: a valid webhook is accepted and a query works.
    const ready = await send(`${target.baseUrl}/readyz`, {});
    const webhook = await send(`${target.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${tokens.operator}` },
      body: JSON.stringify(validPayload()),
    });
    const query = await gql('{ alertRecords(limit: 1) { total } }');
    report.aliveAtEnd = ready.status === 200 && webhook.status === 200 && typeof query.data?.alertRecords?.total === 'number';
    if (!report.aliveAtEnd)
      fail(`not alive at the end: readyz ${ready.status}, webhook ${webhook.status} ${webhook.text}, query ${JSON.stringify(query)}`);
  } finally {
    const logged = target.server
      .output()
      .split('\n')
      .filter((line) => line.includes('"level":50') || line.includes('"level":60'));
    for (const line of logged.slice(0, 5)) if (report.examples.length < 15) report.examples.push(`logged: ${line.slice(0, 400)}`);
    await target.stop();
    await peer.stop();
  }
  return report;
}

export async function runFuzz(options: FuzzOptions): Promise<ModeReport[]> {
  const reports: ModeReport[] = [];
  for (const mode of options.modes) reports.push(await fuzzMode(mode, options));
  return reports;
}

export function formatReport(report: ModeReport): string {
  const line = (counts: Record<string, number>) =>
    Object.entries(counts)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}: ${v}`)
      .join(', ');
  return [
    `${report.mode}: ${report.failures} failures, alive at the end: ${report.aliveAtEnd ? 'yes' : 'NO'}`,
    `  webhook statuses   ${line(report.webhookStatuses)}`,
    `  graphql statuses   ${line(report.graphqlStatuses)}`,
    `  graphql error codes ${line(report.graphqlCodes)}`,
    ...report.examples.map((e) => `  ! ${e}`),
  ].join('\n');
}
