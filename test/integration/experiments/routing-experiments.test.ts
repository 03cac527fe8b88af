import { createChannel, createRoute } from '../../support/fixtures';
import { startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

/**
 * A/B tests of routes (flag routing.learning): alerts split by their labels between the route and
 * a variant, stable per alert; the report compares the arms from what was recorded, and the winner
 * is promoted into the route.
 */
describe('routing experiments', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let admin: string;
  const armA = new WebhookPeer();
  const armB = new WebhookPeer();
  const channels: Record<string, string> = {};
  let routeId: string;
  let experimentId: string;

  const fire = async (instance: string, route = '{}') => {
    const payload = validPayload();
    payload.groupKey = `${route}:{alertname="QueueBacklog", instance="${instance}"}`;
    payload.alerts = [
      alert({
        labels: { alertname: 'QueueBacklog', severity: 'warning', instance },
        fingerprint: Buffer.from(instance).toString('hex').padStart(16, '0').slice(-16),
      }),
    ];
    const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
  };
  const told = (peer: WebhookPeer) => new Set(peer.accepted.map((m) => m.payload.alerts[0].labels.instance as string));
  const setLearning = (enabled: boolean) =>
    server.gql(
      'mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { enabled } }',
      { i: { name: 'routing.learning', enabled, reason: 'experiment test' } },
      admin,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([armA.start(), armB.start()]);
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    admin = await server.issueToken('admin');
    for (const [name, peer] of Object.entries({ a: armA, b: armB })) {
      channels[name] = await createChannel(server, { name, type: 'webhook', config: { url: `${peer.baseUrl}/hook` } }, admin);
    }
    routeId = await createRoute(server, { name: 'queues', matchers: ['alertname="QueueBacklog"'], channelIds: [channels.a] }, admin);
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([armA.stop(), armB.stop()]);
    await db?.drop();
    await redis.cleanup();
  });

  it('splits alerts between the route and its variant only while routing.learning is on, each alert always in the same arm', async () => {
    const started = await server.gql(
      'mutation($i: RoutingExperimentInput!) { startRoutingExperiment(input: $i) { id state splitPercent } }',
      { i: { name: 'queues to team b', routeId, variant: { channelIds: [channels.b] } } },
      admin,
    );
    expect(started.errors).toBeUndefined();
    experimentId = started.data!.startRoutingExperiment.id;

    await fire('off-1');
    await waitFor(() => told(armA).has('off-1'), 'the alert by the route while the flag is off');

    await setLearning(true);
    const instances = Array.from({ length: 60 }, (_, i) => `q-${i}`);
    for (const instance of instances) await fire(instance);
    await waitFor(() => told(armA).size + told(armB).size >= 61, 'every alert told');
    const [a, b] = [told(armA), told(armB)];
    expect(instances.filter((i) => a.has(i) && b.has(i))).toEqual([]);
    expect(instances.filter((i) => b.has(i)).length).toBeGreaterThan(15);
    expect(instances.filter((i) => a.has(i)).length).toBeGreaterThan(15);
    // The same alert again goes to the same arm.
    const again = instances.find((i) => b.has(i))!;
    const before = armB.accepted.length;
    // From another Alertmanager route, so it is not taken for an HA copy of the first.
    await fire(again, '{}/{team="queues"}');
    await waitFor(() => armB.accepted.length === before + 1, 'the repeat in arm B');
  });

  it('reports the arms from what was recorded and picks the one acknowledged faster, then promotes it into the route', async () => {
    const records = (
      await server.gql('query { alertRecords(alertname: "QueueBacklog", limit: 200) { items { id labels } } }', undefined, admin)
    ).data!.alertRecords.items as Array<{ id: string; labels: Record<string, string> }>;
    const byInstance = new Map(records.map((r) => [r.labels.instance, r.id]));
    const ack = (instance: string) =>
      server.gql('mutation($r: ID!) { acknowledgeAlert(recordId: $r) { via } }', { r: byInstance.get(instance) }, admin);
    const inB = [...told(armB)];
    const inA = [...told(armA)].filter((i) => i.startsWith('q-'));
    // Arm B's people answer at once; arm A's a while later: the simulated outcome stream.
    for (const instance of inB) await ack(instance);
    await new Promise((r) => setTimeout(r, 1_500));
    for (const instance of inA) await ack(instance);

    const report = (
      await server.gql(
        `query($id: ID!) { routingExperimentReport(id: $id) { winner reason arms { arm episodes notificationsPerEpisode { n mean } timeToAckSeconds { n mean low high } negativeFeedback { n } } } }`,
        { id: experimentId },
        admin,
      )
    ).data!.routingExperimentReport;
    expect(report.winner).toBe('B');
    expect(report.reason).toBe('arm B is acknowledged faster (95 % confidence)');
    const [a, b] = report.arms;
    // Episodes are put in arms by the same hash as routing; the one sent while the flag was off counts in its hash's arm.
    expect(a.episodes + b.episodes).toBe(inA.length + inB.length + 1);
    expect(b.timeToAckSeconds.high).toBeLessThan(a.timeToAckSeconds.low);
    expect(a.notificationsPerEpisode.mean).toBe(1);

    const promoted = await server.gql(
      'mutation($id: ID!) { promoteRoutingExperiment(id: $id) { state winner } }',
      { id: experimentId },
      admin,
    );
    expect(promoted.data!.promoteRoutingExperiment).toEqual({ state: 'promoted', winner: 'B' });
    const route = (await server.gql('query { routes { items { id channelIds } } }', undefined, admin)).data!.routes.items.find(
      (r: { id: string }) => r.id === routeId,
    );
    expect(route.channelIds).toEqual([channels.b]);
    const audit = (await server.gql('query { auditEvents(action: "experiment.promoted") { total } }', undefined, admin)).data!.auditEvents
      .total;
    expect(audit).toBe(1);
  });

  it('refuses experiments that cannot work', async () => {
    const start = (i: Record<string, unknown>) =>
      server.gql(
        'mutation($i: RoutingExperimentInput!) { startRoutingExperiment(input: $i) { id } }',
        { i: { name: `x-${Math.random()}`, routeId, variant: { perAlert: true }, ...i } },
        admin,
      );
    expect((await start({ variant: {} })).errors?.[0].message).toContain('a variant must change something');
    expect((await start({ splitPercent: 100 })).errors?.[0].message).toContain('input.splitPercent');
    expect((await start({ routeId: '00000000-0000-4000-8000-000000000000' })).errors?.[0].message).toContain('unknown route');
    expect((await start({ variant: { groupIntervalSeconds: 60 } })).errors?.[0].message).toContain('needs its own channels');
    const first = await start({});
    expect(first.errors).toBeUndefined();
    expect((await start({})).errors?.[0].extensions?.code).toBe('CONFLICT');
    const id = first.data!.startRoutingExperiment.id;
    expect(
      (await server.gql('mutation($id: ID!) { promoteRoutingExperiment(id: $id) { state } }', { id }, admin)).errors?.[0].message,
    ).toContain('no clear winner yet');
    expect(
      (await server.gql('mutation($id: ID!) { promoteRoutingExperiment(id: $id, arm: "C") { state } }', { id }, admin)).errors?.[0]
        .extensions?.code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (await server.gql('mutation($id: ID!) { stopRoutingExperiment(id: $id) { state } }', { id }, admin)).data!.stopRoutingExperiment
        .state,
    ).toBe('stopped');
  });
});
