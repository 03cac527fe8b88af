import { postGraphQL, startServeProcess, type ServeProcess } from '../support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../support/env';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { testRedisPrefix } from '../support/redis';
import { validPayload } from '../support/alerts';
import { waitFor } from '../support/wait';

const BOOTSTRAP = 'crash-test-bootstrap-token-0123456789';

describe('SIGKILL during a webhook load', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: ServeProcess | null = null;
  let env: Record<string, string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
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

  it('loses no alert that was answered 200: each reaches the channel after the restart', async () => {
    const channel = await postGraphQL(
      server!.url,
      `mutation { createChannel(input: { name: "crash-peer", type: "webhook", config: { url: "${peer.baseUrl}/h" } }) { id } }`,
      BOOTSTRAP,
    );
    const channelId = channel.data.createChannel.id;
    await postGraphQL(
      server!.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channelId}"] }) { id } }`,
      BOOTSTRAP,
    );
    const webhook = server!.url.replace('/graphql', '/api/v1/alerts/alertmanager');

    const accepted = new Set<string>();
    /** When each accepted alert's webhook was answered. */
    const answeredAt = new Map<string, number>();
    let next = 0;
    let killed = false;
    let killedAt = 0;
    const sendOne = async (i: number) => {
      const payload = validPayload();
      payload.groupKey = `{}:{instance="i-${i}"}`;
      payload.alerts[0].labels.instance = `i-${i}`;
      payload.alerts[0].fingerprint = `f${String(i).padStart(15, '0')}`;
      try {
        const response = await fetch(webhook, {
          method: 'POST',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${BOOTSTRAP}` },
          body: JSON.stringify(payload),
        });
        if (response.status === 200) {
          accepted.add(`i-${i}`);
          answeredAt.set(`i-${i}`, Date.now());
        }
      } catch {
        // Connection refused or reset: not accepted, so Alertmanager would send it again.
      }
    };
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 400) {
          const i = next++;
          if (i === 150 && !killed) {
            killed = true;
            killedAt = Date.now();
            server!.child.kill('SIGKILL');
          }
          await sendOne(i);
        }
      }),
    );
    expect(accepted.size).toBeGreaterThan(100);

    server = await startServeProcess(env);
    const arrivedInstances = () =>
      new Set(peer.accepted.flatMap((r) => r.payload.alerts.map((a: { labels: { instance: string } }) => a.labels.instance)));
    await waitFor(
      () => [...accepted].every((instance) => arrivedInstances().has(instance)),
      `all ${accepted.size} accepted alerts at the peer`,
      30_000,
      200,
    );
    const missing = [...accepted].filter((instance) => !arrivedInstances().has(instance));
    expect(missing).toEqual([]);

    // Re-sends after the restart are limited to what was in flight when the process died: an alert
    // whose webhook was answered well before the kill (its delivery recorded) never goes out twice.
    const arrivals = new Map<string, number>();
    for (const request of peer.requests)
      for (const a of JSON.parse(request.body).alerts ?? []) arrivals.set(a.labels.instance, (arrivals.get(a.labels.instance) ?? 0) + 1);
    const settledBeforeKill = [...answeredAt].filter(([, at]) => at < killedAt - 100).map(([instance]) => instance);
    expect(settledBeforeKill.length).toBeGreaterThan(20);
    expect(settledBeforeKill.filter((instance) => (arrivals.get(instance) ?? 0) > 1)).toEqual([]);
  });
});
