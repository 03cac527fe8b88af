import { createChannel, createRoute } from '../../support/fixtures';
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { validPayload } from '../../support/alerts';

const RESULT = `state receiptsTotal receiptsDone flags error
  result { receipts alerts notifications { simulated actual }
    byChannel { channelId channelName simulated actual } byRoute { routeId routeName notifications alerts }
    byKind { kind simulated actual } alertStates { state simulated actual }
    incidents { simulatedOpened simulatedReopened actualOpened }
    newlyHeld { count sample { alertname actualState simulatedState detail } } newlySent { count } }`;

describe('simulateGateway: replay before rollout', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let admin: string;
  let viewer: string;
  let sender: string;
  let channelId: string;
  let from: string;
  let to: string;

  /** A node failure as two Alertmanager replicas send it: the node alert, then its pods in another group, each twice. */
  const post = async (groupKey: string, alerts: Array<{ name: string; node: string; status?: 'firing' | 'resolved' }>) => {
    const payload = validPayload();
    payload.groupKey = groupKey;
    payload.alerts = alerts.map(({ name, node, status = 'firing' }) => ({
      ...payload.alerts[0],
      status,
      labels: { alertname: name, severity: 'warning', cluster: 'prod', node },
      fingerprint: `${name}-${node}`,
      endsAt: status === 'resolved' ? '2026-12-01T11:00:00Z' : '0001-01-01T00:00:00Z',
    }));
    payload.status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
    for (const replica of [0, 1]) {
      const res = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
        body: JSON.stringify({ ...payload, externalURL: `http://am-${replica}:9093` }),
      });
      expect(res.status).toBe(200);
    }
  };
  const simulate = (proposal: Record<string, unknown> | null, range = { from, to }, token = admin) =>
    server.gql(
      `mutation($f: DateTimeISO!, $t: DateTimeISO!, $p: GatewayProposalInput) { simulateGateway(from: $f, to: $t, proposal: $p) { id state } }`,
      { f: range.from, t: range.to, p: proposal },
      token,
    );
  const finished = async (id: string) => {
    let last: any;
    await waitFor(
      async () => {
        last = (await server.gql(`query($id: ID!) { gatewaySimulation(id: $id) { ${RESULT} } }`, { id }, admin)).data?.gatewaySimulation;
        return last?.state === 'COMPLETED' || last?.state === 'FAILED';
      },
      'the replay finishes',
      15_000,
    );
    expect(last.error).toBeNull();
    return last;
  };
  const count = (rows: Array<{ simulated: number; actual: number }>, key: string, name: string) =>
    (rows as any[]).find((r) => r[key] === name) ?? { simulated: 0, actual: 0 };

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    admin = await server.issueToken('admin');
    viewer = await server.issueToken('viewer');
    sender = await server.issueToken('operator', 'alertmanager');
    channelId = await createChannel(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    await createRoute(server, { name: 'all', isDefault: true, channelIds: [channelId] }, admin);

    // Recorded traffic, phase 1 only (every flag off): two node failures and an unrelated alert.
    from = new Date(Date.now() - 1_000).toISOString();
    await post('{}:{alertname="NodeDown"}', [{ name: 'NodeDown', node: 'n1' }]);
    await post('{}:{alertname="PodCrashLooping"}', [
      { name: 'PodCrashLooping', node: 'n1' },
      { name: 'PodNotReady', node: 'n1' },
    ]);
    await post('{}:{alertname="KubeletDown"}', [{ name: 'KubeletDown', node: 'n1' }]);
    await post('{}:{alertname="NodeDown"}', [{ name: 'NodeDown', node: 'n2' }]);
    await post('{}:{alertname="PodCrashLooping"}', [{ name: 'PodCrashLooping', node: 'n2' }]);
    await post('{}:{alertname="CertExpiry"}', [{ name: 'CertExpiry', node: '' }]);
    await waitFor(() => peer.accepted.length >= 6, 'phase 1 sent every group once', 10_000);
    await new Promise((r) => setTimeout(r, 500));
    to = new Date(Date.now() + 1_000).toISOString();
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('with the configuration in force, the replay predicts what really happened', async () => {
    const started = await simulate(null);
    expect(started.errors).toBeUndefined();
    const sim = await finished(started.data!.simulateGateway.id);
    expect(sim.flags).toEqual([]);
    expect([sim.receiptsTotal, sim.receiptsDone, sim.result.receipts, sim.result.alerts]).toEqual([12, 12, 12, 14]);
    expect(sim.result.notifications).toEqual({ simulated: 6, actual: 6 });
    expect(sim.result.byChannel).toEqual([{ channelId, channelName: 'oncall', simulated: 6, actual: 6 }]);
    expect(count(sim.result.alertStates, 'state', 'sent')).toMatchObject({ simulated: 7, actual: 7 });
    expect(count(sim.result.alertStates, 'state', 'duplicate')).toMatchObject({ simulated: 7, actual: 7 });
    expect([sim.result.newlyHeld.count, sim.result.newlySent.count]).toEqual([0, 0]);
    expect(sim.result.byRoute).toEqual([expect.objectContaining({ routeName: 'all', notifications: 6, alerts: 7 })]);
    // A viewer reads the whole answer: within its cost and rate limits.
    const read = await server.gql(
      `query($id: ID!) { gatewaySimulation(id: $id) { ${RESULT} } }`,
      { id: started.data!.simulateGateway.id },
      viewer,
    );
    expect(read.errors).toBeUndefined();
    expect(read.data!.gatewaySimulation.result.notifications).toEqual({ simulated: 6, actual: 6 });
  });

  it('a proposed correlation policy with grouping on: one first notice per node, related alerts held, nothing sent', async () => {
    const before = peer.accepted.length;
    const started = await simulate({
      flags: [{ name: 'gateway.grouping', enabled: true }],
      correlationPolicies: [{ name: 'per node', labels: ['cluster', 'node'], updateIntervalSeconds: 3600 }],
    });
    expect(started.errors).toBeUndefined();
    const sim = await finished(started.data!.simulateGateway.id);
    expect(sim.flags).toEqual(['gateway.grouping']);
    expect(sim.result.incidents).toEqual({ simulatedOpened: 2, simulatedReopened: 0, actualOpened: 0 });
    // NodeDown n1, NodeDown n2 and CertExpiry (no node: no policy applies) go out; the rest folds (its update is due after the range).
    expect(sim.result.notifications).toEqual({ simulated: 3, actual: 6 });
    expect(sim.result.newlyHeld.count).toBe(4);
    expect(sim.result.newlyHeld.sample.map((a: any) => `${a.alertname}:${a.actualState}->${a.simulatedState}`).sort()).toEqual([
      'KubeletDown:delivered->grouped',
      'PodCrashLooping:delivered->grouped',
      'PodCrashLooping:delivered->grouped',
      'PodNotReady:delivered->grouped',
    ]);
    expect(peer.accepted.length).toBe(before);
  });

  it('proposed routes, inhibition rules and maintenance windows are played; the routes count per route', async () => {
    const started = await simulate({
      flags: [
        { name: 'gateway.inhibition', enabled: true },
        { name: 'gateway.maintenance', enabled: true },
      ],
      routes: [
        { name: 'pods', matchers: ['alertname=~"Pod.*"'], channelIds: [channelId], perAlert: true },
        { name: 'rest', isDefault: true, channelIds: [channelId] },
      ],
      inhibitionRules: [
        {
          name: 'node down mutes kubelet',
          sourceMatchers: ['alertname="NodeDown"'],
          targetMatchers: ['alertname="KubeletDown"'],
          equal: ['node'],
        },
      ],
      maintenanceWindows: [
        {
          name: 'certs',
          schedule: 'ONCE',
          startsAt: from,
          endsAt: new Date(Date.parse(to) + 3_600_000).toISOString(),
          matchers: ['alertname="CertExpiry"'],
        },
      ],
    });
    expect(started.errors).toBeUndefined();
    const sim = await finished(started.data!.simulateGateway.id);
    expect(sim.result.byRoute.map((r: any) => `${r.routeName}:${r.notifications}:${r.alerts}`).sort()).toEqual(['pods:3:3', 'rest:2:2']);
    expect(count(sim.result.alertStates, 'state', 'inhibited').simulated).toBe(1);
    expect(count(sim.result.alertStates, 'state', 'suppressed').simulated).toBe(1);
  });

  it('refuses what can never be replayed, naming the field, and stores nothing', async () => {
    const listed = async () => (await server.gql('{ gatewaySimulations { id } }', {}, admin)).data!.gatewaySimulations.length;
    const before = await listed();
    const cases: Array<[Record<string, unknown> | null, { from: string; to: string } | undefined, string]> = [
      [null, { from: to, to: from }, 'to'],
      [null, { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 'to'],
      [{ flags: [{ name: 'analysis.enabled', enabled: true }] }, undefined, 'proposal.flags[0].name'],
      [{ routes: [{ name: 'x', channelIds: ['6f1c2b9e-0000-4000-8000-000000000000'] }] }, undefined, 'proposal.routes[0].channelIds'],
      [{ routes: [{ name: 'x', matchers: ['team=~"("'], channelIds: [] }] }, undefined, 'proposal.routes[0].matchers'],
      [
        {
          routes: [
            { name: 'a', isDefault: true },
            { name: 'b', isDefault: true },
          ],
        },
        undefined,
        'proposal.routes[1].isDefault',
      ],
      [{ correlationPolicies: [{ name: 'p', labels: [] }] }, undefined, 'proposal.policies[0].labels'],
      [
        { inhibitionRules: [{ name: 'all', sourceMatchers: ['a="b"'], targetMatchers: ['alertname=~".*"'] }] },
        undefined,
        'proposal.inhibitionRules[0].targetMatchers',
      ],
      [
        {
          maintenanceWindows: [{ name: 'w', schedule: 'CRON', expression: '0 2 * * SAT', durationSeconds: 3600, timeZone: 'Mars/Olympus' }],
        },
        undefined,
        'proposal.maintenanceWindows[0].timeZone',
      ],
    ];
    for (const [proposal, range, field] of cases) {
      const result = await simulate(proposal, range);
      expect([field, result.errors?.[0]?.extensions?.code]).toEqual([field, 'BAD_USER_INPUT']);
      expect(JSON.stringify(result.errors?.[0])).toContain(field);
    }
    expect(await listed()).toBe(before);
    expect((await simulate(null, undefined, viewer)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    const unknown = await server.gql(
      'query($id: ID!) { gatewaySimulation(id: $id) { id } }',
      { id: '6f1c2b9e-0000-4000-8000-000000000000' },
      admin,
    );
    expect(unknown.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  it('a long replay shows its progress and stops when cancelled', async () => {
    // A month of recorded traffic, written straight to the receipts table: 100,000 receipts.
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const payload = validPayload();
      await client.query(
        `insert into "alert_receipt" ("id", "received_at", "group_key", "receiver", "status", "alert_count", "truncated_alerts", "source", "payload")
         select gen_random_uuid(), timestamptz '2026-10-01T00:00:00Z' + make_interval(secs => n * 25), 'g', 'alertagent', 'firing', 1, 0, 'test',
                jsonb_set($1::jsonb, '{alerts,0,fingerprint}', to_jsonb('fp-' || (n % 500)::text))
           from generate_series(1, 100000) as n`,
        [JSON.stringify(payload)],
      );
    } finally {
      await client.end();
    }
    const started = await simulate(null, { from: '2026-10-01T00:00:00Z', to: '2026-10-31T00:00:00Z' });
    const id = started.data!.simulateGateway.id;
    await waitFor(
      async () =>
        (await server.gql('query($id: ID!) { gatewaySimulation(id: $id) { receiptsDone } }', { id }, admin)).data!.gatewaySimulation
          .receiptsDone > 0,
      'progress is reported',
      10_000,
    );
    const cancel = await server.gql('mutation($id: ID!) { cancelGatewaySimulation(id: $id) { cancelRequested } }', { id }, admin);
    expect(cancel.data?.cancelGatewaySimulation.cancelRequested).toBe(true);
    let last: any;
    await waitFor(
      async () => {
        last = (
          await server.gql(
            'query($id: ID!) { gatewaySimulation(id: $id) { state receiptsTotal receiptsDone result { receipts } } }',
            { id },
            admin,
          )
        ).data!.gatewaySimulation;
        return last.state !== 'RUNNING';
      },
      'the replay stops',
      10_000,
    );
    expect(last.state).toBe('CANCELLED');
    expect(last.receiptsTotal).toBe(100_000);
    expect(last.receiptsDone).toBeLessThan(100_000);
    expect(last.result).toBeNull();
  });

  it('a finished replay cannot be cancelled; answers a precise conflict', async () => {
    const started = await simulate(null);
    const id = started.data!.simulateGateway.id;
    await finished(id);
    const cancel = await server.gql('mutation($id: ID!) { cancelGatewaySimulation(id: $id) { state } }', { id }, admin);
    expect(cancel.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
