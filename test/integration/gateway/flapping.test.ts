import { routeAllTo } from '../../support/fixtures';
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

/** Cycle `n` of a disk alert that fires and resolves: each firing starts anew, as Alertmanager reports it. */
function postCycle(server: TestServer, sender: string, cycle: number, status: 'firing' | 'resolved') {
  const payload = validPayload();
  payload.status = status;
  payload.alerts[0].status = status;
  payload.alerts[0].startsAt = new Date(Date.UTC(2026, 11, 1, 10, cycle)).toISOString();
  if (status === 'resolved') payload.alerts[0].endsAt = new Date(Date.UTC(2026, 11, 1, 10, cycle, 30)).toISOString();
  return fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
    body: JSON.stringify(payload),
  });
}

/** Three times firing then resolved. */
const THREE_CYCLES: Array<[number, 'firing' | 'resolved']> = [0, 1, 2].flatMap((cycle) => [
  [cycle, 'firing'],
  [cycle, 'resolved'],
]);

describe('flap damping (flag gateway.advanced-convergence)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let env: Record<string, string>;
  let sender: string;
  let admin: string;

  const post = (cycle: number, status: 'firing' | 'resolved') => postCycle(server, sender, cycle, status);
  const records = async () =>
    (await server.gql('{ alertRecords(limit: 20, order: ASC) { items { status state holdReason } } }', {}, admin)).data!.alertRecords.items;

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-flap-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.advanced-convergence: true\n');
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_FLAP_CHANGES: '3',
      GATEWAY_FLAP_WINDOW_MS: '60000',
      GATEWAY_FLAP_QUIET_MS: '2000',
    };
    server = await startTestServer(env);
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager');
    await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('tells a flapping alert once, holds its changes, and summarises it once it settles, across a restart', async () => {
    for (const [cycle, status] of THREE_CYCLES) {
      expect((await post(cycle, status)).status).toBe(200);
      await new Promise((r) => setTimeout(r, 100));
    }
    await waitFor(
      async () =>
        (await records()).length === 6 && (await records()).every((r: { state: string }) => r.state !== 'received' && r.state !== 'routed'),
      'six records settled',
      5_000,
    );
    const states = (await records()).map((r: { state: string }) => r.state);
    // Changes 1–3 go out (the third marked flapping); the next two are held.
    expect(states).toEqual(['delivered', 'delivered', 'delivered', 'delivered', 'flapping', 'flapping']);
    expect(peer.accepted).toHaveLength(4);
    expect(peer.accepted[3].payload.alerts[0].annotations.alertagent_flapping).toMatch(/^changed 3 times in 1 min/);
    expect((await records())[4].holdReason).toMatch(/^flapping: 4 changes/);

    // AlertAgent restarts while the alert is flapping: the state (Redis) and the booked summary survive.
    await server.stop();
    server = await startTestServer(env);
    await waitFor(() => peer.accepted.length === 5, 'the summary once it settled', 8_000);
    const summary = peer.accepted[4].payload;
    expect(summary.status).toBe('resolved');
    expect(summary.alerts[0].annotations.alertagent_flapping_settled).toBe('settled as resolved after 5 changes; steady for 1 min');
    await new Promise((r) => setTimeout(r, 2_500));
    expect(peer.accepted).toHaveLength(5);
  });
});

describe('flap damping with incidents (flags gateway.advanced-convergence and gateway.grouping)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let sender: string;
  let admin: string;

  const post = (cycle: number, status: 'firing' | 'resolved') => postCycle(server, sender, cycle, status);

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-flap-incident-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.advanced-convergence: true\ngateway.grouping: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_FLAP_CHANGES: '2',
      GATEWAY_FLAP_WINDOW_MS: '60000',
      GATEWAY_FLAP_QUIET_MS: '2000',
      GATEWAY_SWEEP_INTERVAL_MS: '500',
    });
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager');
    await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    const policy = await server.gql(
      'mutation($i: CorrelationPolicyInput!) { createCorrelationPolicy(input: $i) { id } }',
      { i: { name: 'disk', labels: ['instance'], updateIntervalSeconds: 1 } },
      admin,
    );
    expect(policy.errors).toBeUndefined();
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('an alert that became flapping while firing and settled resolved closes its incident, without a message beyond its summary', async () => {
    // Fires (first notice, opens the incident), resolves, fires again (the change that makes it
    // flapping reaches the incident as firing), then flaps on held until it settles resolved.
    for (const [cycle, status] of THREE_CYCLES) {
      expect((await post(cycle, status)).status).toBe(200);
      if (peer.accepted.length === 0) await waitFor(() => peer.accepted.length === 1, 'the first notice', 5_000);
      await new Promise((r) => setTimeout(r, 200));
    }
    await waitFor(
      () => peer.accepted.some((m) => m.payload.alerts[0]?.annotations.alertagent_flapping_settled),
      'the summary once it settled',
      10_000,
    );
    const incidentState = async () =>
      (await server.gql('{ incidents(policyName: "disk") { items { state firingCount } } }', {}, admin)).data!.incidents.items;
    await waitFor(async () => (await incidentState())[0]?.state === 'RESOLVED', 'the incident closed', 5_000);
    expect(await incidentState()).toEqual([{ state: 'RESOLVED', firingCount: 0 }]);
    await new Promise((r) => setTimeout(r, 1_500));
    // The first notice and the summary; the incident closed without telling its resolution again.
    expect(peer.accepted.map((m) => m.payload.alerts[0].annotations.alertagent_flapping_settled ?? m.payload.status)).toEqual([
      'firing',
      'settled as resolved after 5 changes; steady for 1 min',
    ]);
  });
});
