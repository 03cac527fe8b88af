import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validPayload } from '../support/alerts';
import { postGraphQL, startServeProcess, type ServeProcess } from '../support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../support/env';
import { OpenAIPeer } from '../support/peers/openai-peer';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { testRedisPrefix } from '../support/redis';
import { waitFor } from '../support/wait';

const BOOTSTRAP = 'shutdown-test-bootstrap-token-0123456789';

/**
 * SIGTERM ends the process in bounded time even when work is stuck on a peer that never answers:
 * an analysis provider holding its requests open must not keep the server (and its queue workers,
 * spinning on a closed Redis connection) alive.
 */
describe('shutdown with a peer that never answers', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const channelPeer = new WebhookPeer();
  const provider = new OpenAIPeer('sk-shutdown-test-key-0123456789');
  let server: ServeProcess | null = null;
  let dir: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([channelPeer.start(), provider.start()]);
    provider.hang = true;
    dir = mkdtempSync(join(tmpdir(), 'aa-shutdown-'));
    writeFileSync(join(dir, 'flags.yml'), 'analysis.enabled: true\n');
    server = await startServeProcess({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      AUTH_BOOTSTRAP_TOKEN: BOOTSTRAP,
      FLAGS_BOOTSTRAP_FILE: join(dir, 'flags.yml'),
      LOG_LEVEL: 'warn',
    });
  });

  afterAll(async () => {
    if (server && server.child.exitCode === null) server.child.kill('SIGKILL');
    await Promise.all([channelPeer.stop(), provider.stop()]);
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('exits 0 within seconds of SIGTERM while analyses hang on the provider', async () => {
    const made = await postGraphQL(
      server!.url,
      `mutation { createAnalysisProvider(input: { name: "slow", type: "openai", config: { baseUrl: "${provider.apiUrl}", model: "m" }, secret: "${provider.apiKey}", timeoutMs: 600000 }) { id } }`,
      BOOTSTRAP,
    );
    expect(made.errors).toBeUndefined();
    const channel = await postGraphQL(
      server!.url,
      `mutation { createChannel(input: { name: "oncall", type: "webhook", config: { url: "${channelPeer.baseUrl}/h" } }) { id } }`,
      BOOTSTRAP,
    );
    await postGraphQL(
      server!.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"], analysisProviderId: "${made.data.createAnalysisProvider.id}" }) { id } }`,
      BOOTSTRAP,
    );

    const webhook = server!.url.replace('/graphql', '/api/v1/alerts/alertmanager');
    for (let i = 0; i < 5; i += 1) {
      const payload = validPayload();
      payload.groupKey = `{}:{instance="s-${i}"}`;
      payload.alerts[0] = {
        ...payload.alerts[0],
        fingerprint: `shutdown${String(i).padStart(8, '0')}`,
        labels: { ...payload.alerts[0].labels, instance: `s-${i}` },
      };
      const res = await fetch(webhook, {
        method: 'POST',
        headers: { authorization: `Bearer ${BOOTSTRAP}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      expect(res.status).toBe(200);
    }
    await waitFor(() => provider.requests.length >= 1, 'an analysis request held open by the provider', 15_000);
    await waitFor(() => channelPeer.accepted.length >= 5, 'the alerts delivered', 15_000);

    const started = Date.now();
    const code = await server!.stop();
    const took = Date.now() - started;
    expect(code).toBe(0);
    // The queue's grace is 5 s; everything else closes at once.
    expect(took).toBeLessThan(15_000);
    expect(server!.output()).toMatch(/jobs still running at shutdown/);
  }, 60_000);
});
