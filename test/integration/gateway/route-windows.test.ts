import { createChannel } from '../../support/fixtures';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { validPayload } from '../../support/alerts';

describe('route windows (flag gateway.advanced-convergence)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let second: TestServer | null = null;
  let admin: string;
  let sender: string;
  let flagsFile: string;

  const env = () => ({
    DATABASE_URL: db.url,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redis.prefix,
    FLAGS_BOOTSTRAP_FILE: flagsFile,
    GATEWAY_SWEEP_INTERVAL_MS: '500',
    GATEWAY_DEDUPE_WINDOW_MS: '500',
  });
  const post = (to: TestServer, name: string, cluster: string, status: 'firing' | 'resolved' = 'firing') => {
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${name}"}`;
    payload.status = status;
    payload.alerts[0] = {
      ...payload.alerts[0],
      status,
      labels: { alertname: name, severity: 'warning', cluster },
      fingerprint: `${name}-${cluster}`,
    };
    if (status === 'resolved') payload.alerts[0].endsAt = '2026-12-06T11:00:00Z';
    return fetch(`${to.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(payload),
    });
  };
  const messages = () =>
    peer.accepted.map((m) =>
      m.payload.alerts
        .map((a: { labels: Record<string, string>; status: string }) => `${a.labels.alertname}/${a.labels.cluster}/${a.status}`)
        .sort()
        .join(' + '),
    );
  const record = async (fingerprint: string) =>
    (
      await server.gql(
        'query($f: String) { alertRecords(fingerprint: $f, limit: 1) { items { state holdReason } } }',
        { f: fingerprint },
        admin,
      )
    ).data!.alertRecords.items[0];

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-route-windows-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.advanced-convergence: true\n');
    server = await startTestServer(env());
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager');
  });

  afterAll(async () => {
    await second?.stop();
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('refuses windows that cannot work, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ groupWaitSeconds: -1 }, 'input.groupWaitSeconds'],
      [{ groupIntervalSeconds: 0 }, 'input.groupIntervalSeconds'],
      [{ repeatIntervalSeconds: 30 }, 'input.repeatIntervalSeconds'],
      [{ groupIntervalSeconds: 600, repeatIntervalSeconds: 300 }, 'input.repeatIntervalSeconds'],
    ];
    for (const [window, field] of cases) {
      const result = await server.gql(
        'mutation($i: RouteInput!) { createRoute(input: $i) { id } }',
        { i: { name: `bad-${field}`, ...window } },
        admin,
      );
      expect([field, result.errors?.[0]?.extensions?.code]).toEqual([field, 'BAD_USER_INPUT']);
      expect(JSON.stringify(result.errors?.[0])).toContain(field);
    }
    expect((await server.gql('{ routes { items { name } } }', {}, admin)).data!.routes.items).toEqual([]);
  });

  it('gathers the first burst for the group wait, batches what follows per interval, and does not repeat what it told', async () => {
    const channelId = await createChannel(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id groupWaitSeconds groupIntervalSeconds repeatIntervalSeconds } }',
      { i: { name: 'all', isDefault: true, channelIds: [channelId], groupWaitSeconds: 1, groupIntervalSeconds: 3 } },
      admin,
    );
    expect(route.data!.createRoute).toMatchObject({ groupWaitSeconds: 1, groupIntervalSeconds: 3, repeatIntervalSeconds: 14_400 });

    expect((await post(server, 'ApiDown', 'prod-a')).status).toBe(200);
    expect((await post(server, 'ApiDown', 'prod-b')).status).toBe(200);
    await waitFor(async () => (await record('ApiDown-prod-a'))?.state === 'batched', 'recorded as batched', 5_000);
    expect((await record('ApiDown-prod-a')).holdReason).toMatch(/^waiting for route "all"'s next message at /);
    expect(peer.accepted).toHaveLength(0);
    // Both clusters' alerts in one message after the wait.
    await waitFor(() => peer.accepted.length >= 1, "the window's first message", 5_000);
    expect(messages()).toEqual(['ApiDown/prod-a/firing + ApiDown/prod-b/firing']);
    expect(peer.accepted[0].payload.commonAnnotations.alertagent_route_window).toBe('gathered by route "all" for its next message');

    // Within the interval: a new alert waits for the next tick; a repeat of a told alert is not told again.
    expect((await post(server, 'DbSlow', 'prod-a')).status).toBe(200);
    expect((await post(server, 'ApiDown', 'prod-a')).status).toBe(200);
    await waitFor(() => peer.accepted.length >= 2, 'the next tick', 6_000);
    expect(messages()).toEqual(['ApiDown/prod-a/firing + ApiDown/prod-b/firing', 'DbSlow/prod-a/firing']);
    const repeat = (
      await server.gql('query { alertRecords(fingerprint: "ApiDown-prod-a", limit: 5) { items { state holdReason } } }', {}, admin)
    ).data!.alertRecords.items;
    expect(repeat[0]).toEqual({ state: 'converged', holdReason: 'already told by route "all" within its repeat interval' });
  });

  it('what a window holds survives a restart, and two replicas share one window', async () => {
    await new Promise((r) => setTimeout(r, 3_100));
    peer.accepted.length = 0;
    // After the interval the resolution goes out at once, in its own message.
    expect((await post(server, 'DbSlow', 'prod-a', 'resolved')).status).toBe(200);
    await waitFor(() => peer.accepted.length >= 1, 'sent at once', 5_000);
    expect(messages()).toEqual(['DbSlow/prod-a/resolved']);

    // Held for the next tick, then the server stops before it comes.
    expect((await post(server, 'CacheDown', 'prod-a')).status).toBe(200);
    await waitFor(async () => (await record('CacheDown-prod-a'))?.state === 'batched', 'held for the next tick', 5_000);
    await server.stop();
    server = await startTestServer(env());
    second = await startTestServer(env());
    await waitFor(() => peer.accepted.length >= 2, 'sent after the restart', 10_000);
    expect(messages()[1]).toBe('CacheDown/prod-a/firing');

    // Two replicas at the same instant, inside the interval: one window, one message with both.
    await Promise.all([post(server, 'QueueBacklog', 'prod-a'), post(second, 'QueueBacklog', 'prod-b')]);
    await waitFor(() => peer.accepted.length >= 3, "one message for both replicas' alerts", 8_000);
    await new Promise((r) => setTimeout(r, 1_000));
    expect(messages().slice(2)).toEqual(['QueueBacklog/prod-a/firing + QueueBacklog/prod-b/firing']);
  });
});
