import { createChannel, createRoute } from '../support/fixtures';
import { nextResults, startTestServer, type TestServer } from '../support/app';
import { alertmanagerConfigFor, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { TEST_REDIS_URL } from '../support/env';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { testRedisPrefix } from '../support/redis';
import { waitFor } from '../support/wait';

describe('a real Alertmanager delivering through AlertAgent', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer('e2e-signing-secret-0123');
  let server: TestServer;
  let alertmanager: RunningAlertmanager;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    admin = await server.issueToken('admin');
    const sender = await server.issueToken('operator', 'alertmanager-e2e');
    const channelId = await createChannel(
      server,
      { name: 'oncall-hook', type: 'webhook', config: { url: `${peer.baseUrl}/oncall`, signingSecret: 'e2e-signing-secret-0123' } },
      admin,
    );
    await createRoute(server, { name: 'everything', isDefault: true, channelIds: [channelId] }, admin);
    alertmanager = await startAlertmanager(alertmanagerConfigFor(`${server.baseUrl}/api/v1/alerts/alertmanager`, sender));
  });

  afterAll(async () => {
    await alertmanager?.stop();
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('passes a firing alert posted to Alertmanager on to the channel, records it and streams its events', async () => {
    const events = nextResults<{ gatewayEvents: Record<string, string> }>(
      server.wsClient(admin),
      'subscription { gatewayEvents(alertname: "ReplicaLag") { type alertname status cluster } }',
      2,
    );
    await new Promise((r) => setTimeout(r, 200));

    const posted = await alertmanager.postAlerts([
      {
        labels: { alertname: 'ReplicaLag', severity: 'critical', cluster: 'eu-1', instance: 'pg-2' },
        annotations: { summary: 'replica 30s behind' },
        generatorURL: 'http://prometheus:9090/graph?g0.expr=pg_replication_lag',
      },
    ]);
    expect(posted.status).toBe(200);

    await waitFor(() => peer.accepted.length >= 1, 'the alert at the channel peer', 20_000);
    const body = peer.accepted[0].payload;
    expect(body.version).toBe('4');
    expect(body.receiver).toBe('alertagent');
    expect(body.alerts[0]).toMatchObject({
      status: 'firing',
      labels: { alertname: 'ReplicaLag', instance: 'pg-2' },
      fingerprint: expect.stringMatching(/^[0-9a-f]{16}$/),
    });

    const seen = (await events.done).map((e) => e.data!.gatewayEvents);
    expect(seen).toEqual([
      { type: 'received', alertname: 'ReplicaLag', status: 'firing', cluster: 'eu-1' },
      { type: 'delivered', alertname: 'ReplicaLag', status: 'firing', cluster: 'eu-1' },
    ]);

    const records = await server.gql(
      '{ alertRecords(alertname: "ReplicaLag") { total items { state fingerprint cluster severity routeNames } } }',
      undefined,
      admin,
    );
    expect(records.data!.alertRecords.items[0]).toEqual({
      state: 'delivered',
      fingerprint: body.alerts[0].fingerprint,
      cluster: 'eu-1',
      severity: 'critical',
      routeNames: ['everything'],
    });
  });

  it('passes the resolution on too', async () => {
    const now = new Date();
    await alertmanager.postAlerts([
      {
        labels: { alertname: 'ReplicaLag', severity: 'critical', cluster: 'eu-1', instance: 'pg-2' },
        annotations: { summary: 'replica 30s behind' },
        startsAt: new Date(now.getTime() - 60_000).toISOString(),
        endsAt: now.toISOString(),
      },
    ]);
    await waitFor(() => peer.accepted.some((r) => r.payload.status === 'resolved'), 'the resolved notification', 20_000);
    const records = await server.gql('{ alertRecords(alertname: "ReplicaLag", status: "resolved") { total } }', undefined, admin);
    expect(records.data!.alertRecords.total).toBeGreaterThanOrEqual(1);
  });
});
