import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postGraphQL, startServeProcess, type ServeProcess } from '../support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../support/env';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { testRedisPrefix } from '../support/redis';
import { validPayload } from '../support/alerts';
import { waitFor } from '../support/wait';

const BOOTSTRAP = 'incident-crash-bootstrap-token-0123456789';
const NODES = 20;
const WEBHOOKS = 300;

/** Webhook `i`: alert A<i> on node n<i % NODES>, in a group of its own (a node failure fans out across groups). */
function webhookOf(i: number) {
  const payload = validPayload();
  payload.groupKey = `{}:{alertname="A${i}"}`;
  payload.groupLabels = { alertname: `A${i}` };
  payload.alerts[0].labels = { alertname: `A${i}`, severity: 'critical', node: `n${i % NODES}` };
  payload.alerts[0].fingerprint = `f${String(i).padStart(15, '0')}`;
  return JSON.stringify(payload);
}

describe('SIGKILL with incidents open (gateway.grouping)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: ServeProcess | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-incident-crash-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.grouping: true\n');
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      LOG_LEVEL: 'warn',
      GATEWAY_SWEEP_INTERVAL_MS: '500',
      GATEWAY_ORPHAN_AFTER_MS: '1000',
      DELIVERY_SWEEP_INTERVAL_MS: '500',
      DELIVERY_LEASE_MS: '2000',
      DELIVERY_BACKOFF_BASE_MS: '100',
      DELIVERY_BACKOFF_MAX_MS: '500',
    };
    server = await startServeProcess(env);
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('tells every accepted alert once the process is back, and never sends an incident a second first notice', async () => {
    const channel = await postGraphQL(
      server!.url,
      `mutation { createChannel(input: { name: "oncall", type: "webhook", config: { url: "${peer.baseUrl}/h" } }) { id } }`,
      BOOTSTRAP,
    );
    await postGraphQL(
      server!.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      BOOTSTRAP,
    );
    const policy = await postGraphQL(
      server!.url,
      `mutation { createCorrelationPolicy(input: { name: "node", labels: ["node"], updateIntervalSeconds: 1 }) { id } }`,
      BOOTSTRAP,
    );
    expect(policy.errors).toBeUndefined();
    const webhook = () => server!.url.replace('/graphql', '/api/v1/alerts/alertmanager');

    const accepted = new Set<number>();
    const refused: number[] = [];
    let next = 0;
    let killedAt = 0;
    const send = async (i: number) => {
      try {
        const response = await fetch(webhook(), {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP}` },
          body: webhookOf(i),
        });
        if (response.status === 200) accepted.add(i);
        else refused.push(i);
      } catch {
        refused.push(i);
      }
    };
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < WEBHOOKS) {
          const i = next++;
          if (i === 120 && killedAt === 0) {
            killedAt = Date.now();
            server!.child.kill('SIGKILL');
          }
          await send(i);
        }
      }),
    );
    expect(accepted.size).toBeGreaterThan(50);
    // What was not answered 200, Alertmanager sends again once AlertAgent is back.
    const firstNoticesBeforeKill = new Set(
      peer.accepted.filter((m) => !m.payload.incident).map((m) => m.payload.alerts[0].labels.node as string),
    );
    server = await startServeProcess(env);
    for (const i of refused.splice(0)) await send(i);
    expect(refused).toEqual([]);

    const told = () =>
      new Set(peer.accepted.flatMap((m) => m.payload.alerts.map((a: { labels: { alertname: string } }) => a.labels.alertname)));
    await waitFor(() => [...accepted].every((i) => told().has(`A${i}`)), 'every accepted alert told', 40_000, 200).catch((err: Error) => {
      throw new Error(`${err.message}: not told ${[...accepted].filter((i) => !told().has(`A${i}`)).join(', ')}`);
    });

    const firstNotices = new Map<string, number>();
    for (const m of peer.accepted.filter((m) => !m.payload.incident)) {
      const node = m.payload.alerts[0].labels.node as string;
      firstNotices.set(node, (firstNotices.get(node) ?? 0) + 1);
    }
    expect(firstNoticesBeforeKill.size).toBeGreaterThan(5);
    expect([...firstNoticesBeforeKill].filter((node) => firstNotices.get(node) !== 1)).toEqual([]);
    // Every node failure has exactly one open incident, whatever the crash did.
    const page = await postGraphQL(server!.url, `{ incidents(limit: 100) { total items { title updatePending } } }`, BOOTSTRAP);
    expect(page.data.incidents.total).toBe(NODES);
  });
});
