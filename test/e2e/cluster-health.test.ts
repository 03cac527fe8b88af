import { nextResults, startTestServer, type TestServer } from '../support/app';
import { startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { waitFor } from '../support/wait';

const INTERVAL_MS = 1_000;
const CLUSTER =
  'query($id: ID!) { cluster(id: $id) { status replicas { url up version peers error } healthHistory(limit: 200) { url up error } } }';

describe('cluster health and failover with two real Alertmanager replicas', () => {
  let db: TestDatabase;
  let server: TestServer;
  let first: RunningAlertmanager;
  let second: RunningAlertmanager;
  let admin: string;
  let clusterId: string;

  const cluster = async () => (await server.gql(CLUSTER, { id: clusterId }, admin)).data!.cluster;
  const servedBy = async () => {
    const answer = await server.gql(
      `query($id: ID!) { alertmanagerStatus(clusterId: $id) { servedBy version clusterStatus } }`,
      { id: clusterId },
      admin,
    );
    expect(answer.errors).toBeUndefined();
    return answer.data!.alertmanagerStatus.servedBy as string;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({
      DATABASE_URL: db.url,
      CLUSTER_HEALTH_INTERVAL_MS: String(INTERVAL_MS),
      CLUSTER_HEALTH_TIMEOUT_MS: '500',
    });
    admin = await server.issueToken('admin');
    const config = 'route:\n  receiver: local\nreceivers:\n  - name: local\n';
    [first, second] = await Promise.all([startAlertmanager(config), startAlertmanager(config)]);
    const created = await server.gql(
      'mutation($input: CreateClusterInput!) { createCluster(input: $input) { cluster { id } } }',
      { input: { name: 'ha', alertmanagerUrls: [first.url, second.url] } },
      admin,
    );
    clusterId = created.data!.createCluster.cluster.id;
  });

  afterAll(async () => {
    await first?.stop().catch(() => {});
    await second?.stop().catch(() => {});
    await server?.stop();
    await db?.drop();
  });

  it('checks every replica on schedule: up, version and peers, and the cluster is healthy', async () => {
    const healthy = await waitFor(
      async () => {
        const c = await cluster();
        return c.status === 'healthy' && c.replicas.length === 2 ? c : false;
      },
      'a healthy cluster',
      10_000,
    );
    expect(healthy.replicas).toEqual(
      [first.url, second.url].sort().map((url) => ({ url, up: true, version: '0.25.0', peers: 0, error: null })),
    );
  });

  it('spreads calls over the healthy replicas', async () => {
    const answered = new Set<string>();
    for (let i = 0; i < 4; i += 1) answered.add(await servedBy());
    expect([...answered].sort()).toEqual([first.url, second.url].sort());
  });

  it('marks the cluster degraded within two check intervals of a replica stopping, and calls fail over', async () => {
    const events = nextResults<{
      clusterHealth: { status: string; previousStatus: string; replicas: Array<{ url: string; up: boolean }> };
    }>(
      server.wsClient(admin),
      `subscription { clusterHealth(clusterId: "${clusterId}") { status previousStatus replicas { url up } } }`,
      1,
      10_000,
    );
    await new Promise((r) => setTimeout(r, 100));
    const stoppedAt = Date.now();
    await first.stop();
    const degraded = await waitFor(
      async () => ((await cluster()).status === 'degraded' ? Date.now() : false),
      'the degraded status',
      10_000,
      50,
    );
    const detectionMs = degraded - stoppedAt;
    console.log(`replica stopped → cluster degraded in ${detectionMs} ms (check interval ${INTERVAL_MS} ms)`);
    expect(detectionMs).toBeLessThanOrEqual(2 * INTERVAL_MS);

    const [event] = await events.done;
    expect(event.data!.clusterHealth.status).toBe('degraded');
    expect(event.data!.clusterHealth.replicas).toEqual(
      expect.arrayContaining([
        { url: first.url, up: false },
        { url: second.url, up: true },
      ]),
    );

    for (let i = 0; i < 4; i += 1) expect(await servedBy()).toBe(second.url);
    const silences = await server.gql(
      `query($id: ID!) { clusterSilences(clusterId: $id) { servedBy silences { id } } }`,
      { id: clusterId },
      admin,
    );
    expect(silences.data!.clusterSilences).toEqual({ servedBy: second.url, silences: [] });
    expect((await second.postAlerts([{ labels: { alertname: 'FailoverProbe', severity: 'info' } }])).status).toBe(200);
    const alerts = await server.gql(
      `query($id: ID!) { clusterAlerts(clusterId: $id) { servedBy alerts { labels state receivers } } }`,
      { id: clusterId },
      admin,
    );
    expect(alerts.data!.clusterAlerts).toEqual({
      servedBy: second.url,
      alerts: [{ labels: { alertname: 'FailoverProbe', severity: 'info' }, state: 'active', receivers: ['local'] }],
    });

    const state = await cluster();
    expect(state.replicas.find((r: { url: string }) => r.url === first.url)).toMatchObject({
      up: false,
      error: expect.stringContaining('ECONNREFUSED'),
    });
    expect(state.healthHistory.some((h: { url: string; up: boolean }) => h.url === first.url && !h.up)).toBe(true);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(new RegExp(`alertagent_cluster_replica_up\\{cluster="ha",url="${first.url}"[^}]*\\} 0`));
    expect(metrics).toMatch(new RegExp(`alertagent_cluster_replica_up\\{cluster="ha",url="${second.url}"[^}]*\\} 1`));
  });

  it('is down when no replica answers, and a call says which replicas failed and how', async () => {
    await second.stop();
    await waitFor(async () => (await cluster()).status === 'down', 'the down status', 10_000, 50);
    const answer = await server.gql(`query($id: ID!) { alertmanagerStatus(clusterId: $id) { servedBy } }`, { id: clusterId }, admin);
    expect(answer.errors![0].extensions!.code).toBe('UPSTREAM');
    expect(answer.errors![0].message).toContain(`${first.url}: ECONNREFUSED`);
    expect(answer.errors![0].message).toContain(`${second.url}: ECONNREFUSED`);
  });
});
