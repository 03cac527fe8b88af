import { routeAllTo } from '../../support/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';
import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { postGraphQL, startServeProcess, type ServeProcess } from '../../support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { validPayload } from '../../support/alerts';

/** An Alertmanager group notification: alerts of one group, as Alertmanager sends them. */
function notification(groupKey: string, alerts: Array<{ name: string; node?: string; pod?: string; status?: 'firing' | 'resolved' }>) {
  const payload = validPayload();
  const template = payload.alerts[0];
  payload.groupKey = groupKey;
  payload.groupLabels = { alertname: alerts[0].name };
  payload.commonLabels = { cluster: 'prod' };
  payload.status = alerts.some((a) => (a.status ?? 'firing') === 'firing') ? 'firing' : 'resolved';
  payload.alerts = alerts.map((a) => {
    const labels: Record<string, string> = { alertname: a.name, severity: 'critical', cluster: 'prod' };
    if (a.node) labels.node = a.node;
    if (a.pod) labels.pod = a.pod;
    return {
      ...template,
      status: a.status ?? 'firing',
      labels,
      endsAt: a.status === 'resolved' ? '2026-11-25T11:00:00Z' : template.endsAt,
      fingerprint: `${a.name}-${a.node ?? ''}-${a.pod ?? ''}`.slice(0, 60),
    };
  });
  return payload;
}

describe('incidents (flag gateway.grouping)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let second: TestServer;
  let admin: string;
  let sender: string;
  const env = () => {
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-incident-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.grouping: true\n');
    return {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_SWEEP_INTERVAL_MS: '500',
    };
  };

  const post = (target: TestServer, body: unknown) =>
    fetch(`${target.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(body),
    });
  const incidentMessages = () => peer.accepted.filter((m) => m.payload.incident);

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer(env());
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager-prod');
    await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    const policy = await server.gql(
      'mutation($i: CorrelationPolicyInput!) { createCorrelationPolicy(input: $i) { id labels matchers updateIntervalSeconds } }',
      { i: { name: 'node', labels: ['cluster', 'node'], matchers: ['severity=~"critical|warning"'], updateIntervalSeconds: 2 } },
      admin,
    );
    expect(policy.errors).toBeUndefined();
    second = await startTestServer(env());
  });

  afterAll(async () => {
    await second?.stop();
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('refuses policies that could never apply, naming the field, and saves nothing', async () => {
    const create = (i: Record<string, unknown>) =>
      server.gql('mutation($i: CorrelationPolicyInput!) { createCorrelationPolicy(input: $i) { id } }', { i }, admin);
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'none', labels: [] }, 'input.labels'],
      [{ name: 'bad-label', labels: ['no-dashes'] }, 'input.labels.0'],
      [{ name: 'empty-node', labels: ['node'], matchers: ['node=""'] }, 'input.matchers.0'],
      [{ name: 'contradiction', labels: ['node'], matchers: ['team="a"', 'team="b"'] }, 'input.matchers.1'],
      [{ name: 'bad-regex', labels: ['node'], matchers: ['team=~"(unclosed"'] }, 'input.matchers.0'],
      [{ name: 'short-window', labels: ['node'], windowSeconds: 5 }, 'input.windowSeconds'],
    ];
    for (const [input, field] of cases) {
      const result = await create(input);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(result.errors?.[0])).toContain(field);
    }
    const list = await server.gql('{ correlationPolicies { name } }', {}, admin);
    expect(list.data!.correlationPolicies.map((p: { name: string }) => p.name)).toEqual(['node']);
  });

  it('a node failure across Alertmanager groups: first notice at once, one update, one resolution', async () => {
    peer.accepted.length = 0;
    const node = `n-${randomUUID().slice(0, 6)}`;
    // The other replica learns of the incident from its event; it must have before the fan-out reaches it.
    const opened = nextResults<{ incidentUpdates: { change: string } }>(
      second.wsClient(admin),
      'subscription { incidentUpdates { change } }',
    );
    await new Promise((r) => setTimeout(r, 300));
    expect((await post(server, notification('{}:{alertname="NodeDown"}', [{ name: 'NodeDown', node }]))).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'peer.accepted.length === 1', 5_000);
    expect((await opened.done)[0].data?.incidentUpdates.change).toBe('opened');
    expect(peer.accepted[0].payload.incident).toBeUndefined();
    expect(peer.accepted[0].payload.alerts[0].labels.alertname).toBe('NodeDown');

    // Other groups, other replica: the fan-out of the same failure.
    expect((await post(second, notification('{}:{alertname="KubeletDown"}', [{ name: 'KubeletDown', node }]))).status).toBe(200);
    expect(
      (
        await post(
          server,
          notification('{}:{alertname="PodNotReady"}', [
            { name: 'PodNotReady', node, pod: 'a' },
            { name: 'PodNotReady', node, pod: 'b' },
          ]),
        )
      ).status,
    ).toBe(200);
    // Alertmanager's repeat of the first group: nothing new.
    expect((await post(second, notification('{}:{alertname="NodeDown"}', [{ name: 'NodeDown', node }]))).status).toBe(200);
    await waitFor(() => incidentMessages().length === 1, 'incidentMessages().length === 1', 8_000);
    const update = incidentMessages()[0].payload;
    expect(update.incident).toMatchObject({ notice: 'update', sequence: 1, added: 3, resolved: 0, firing: 4, total: 4 });
    expect(update.alerts.map((a: { labels: Record<string, string> }) => a.labels.alertname).sort()).toEqual([
      'KubeletDown',
      'PodNotReady',
      'PodNotReady',
    ]);
    expect(update.groupKey).toContain(update.incident.id);
    expect(update.receiver).toBe('alertagent');

    const all = [
      { name: 'NodeDown', node },
      { name: 'KubeletDown', node },
      { name: 'PodNotReady', node, pod: 'a' },
      { name: 'PodNotReady', node, pod: 'b' },
    ] as const;
    expect(
      (
        await post(
          second,
          notification(
            '{}:{alertname="NodeDown"}',
            all.map((a) => ({ ...a, status: 'resolved' as const })),
          ),
        )
      ).status,
    ).toBe(200);
    await waitFor(() => incidentMessages().length === 2, 'incidentMessages().length === 2', 8_000);
    expect(incidentMessages()[1].payload.incident).toMatchObject({ notice: 'resolved', sequence: 2, resolved: 4, firing: 0, total: 4 });
    expect(peer.accepted).toHaveLength(3);

    const id = update.incident.id;
    const incident = await server.gql(
      'query($id: ID!) { incident(id: $id) { title state alertCount firingCount notificationCount updatePending alerts { alertname status notified } notifications { kind sequence deliveryId } } }',
      { id },
      admin,
    );
    expect(incident.errors).toBeUndefined();
    expect(incident.data!.incident).toMatchObject({
      title: `NodeDown (cluster=prod, node=${node})`,
      state: 'RESOLVED',
      alertCount: 4,
      firingCount: 0,
      notificationCount: 2,
      updatePending: false,
    });
    expect(incident.data!.incident.notifications.map((n: { kind: string }) => n.kind)).toEqual(['update', 'resolved']);
    expect(incident.data!.incident.notifications.every((n: { deliveryId: string | null }) => n.deliveryId)).toBe(true);

    const records = await server.gql(
      'query($f: String) { alertRecords(fingerprint: $f, limit: 10) { items { state incidentId } } }',
      { f: `KubeletDown-${node}-` },
      admin,
    );
    expect(records.data!.alertRecords.items[0]).toEqual({ state: 'grouped', incidentId: id });

    // Nothing more goes out afterwards.
    await new Promise((r) => setTimeout(r, 2_500));
    expect(peer.accepted).toHaveLength(3);
  });

  it('an alert that fires again and resolves within one update interval closes the reopened incident without a message', async () => {
    // A policy of its own with a 5 s update interval, so the re-fire and its resolution surely come within one interval.
    const disk = await server.gql(
      'mutation($i: CorrelationPolicyInput!) { createCorrelationPolicy(input: $i) { id } }',
      { i: { name: 'disk', labels: ['cluster', 'node'], matchers: ['alertname="DiskFull"'], updateIntervalSeconds: 5 } },
      admin,
    );
    expect(disk.errors).toBeUndefined();
    peer.accepted.length = 0;
    const node = `n-${randomUUID().slice(0, 6)}`;
    // Each firing is a new instance (its own startsAt), so no copy of an earlier notification; severity
    // info, so the node policy (critical and warning) leaves it to the disk policy.
    const body = (status: 'firing' | 'resolved', startsAt: string) => {
      const payload = notification('{}:{alertname="DiskFull"}', [{ name: 'DiskFull', node, status }]);
      payload.alerts[0].startsAt = startsAt;
      payload.alerts[0].labels.severity = 'info';
      return payload;
    };
    expect((await post(server, body('firing', '2026-11-25T10:00:00Z'))).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'the first notice', 5_000);
    expect((await post(server, body('resolved', '2026-11-25T10:00:00Z'))).status).toBe(200);
    await waitFor(() => incidentMessages().length === 1, 'the resolution', 8_000);
    expect(incidentMessages()[0].payload.incident).toMatchObject({ notice: 'resolved', resolved: 1 });
    const id = incidentMessages()[0].payload.incident.id;

    expect((await post(server, body('firing', '2026-11-25T10:20:00Z'))).status).toBe(200);
    await waitFor(
      async () => (await server.gql('query($id: ID!) { incident(id: $id) { state } }', { id }, admin)).data!.incident.state !== 'RESOLVED',
      'reopened',
      5_000,
    );
    expect((await post(server, body('resolved', '2026-11-25T10:20:00Z'))).status).toBe(200);
    await new Promise((r) => setTimeout(r, 6_500));
    expect(peer.accepted).toHaveLength(2);
    const incident = await server.gql('query($id: ID!) { incident(id: $id) { state notificationCount updatePending } }', { id }, admin);
    expect(incident.data!.incident).toEqual({ state: 'RESOLVED', notificationCount: 1, updatePending: false });
  });

  it('a resolve hold: an alert flapping within it costs no resolution and no reopening, and the resolution goes once it has held', async () => {
    const flappy = await server.gql(
      'mutation($i: CorrelationPolicyInput!) { createCorrelationPolicy(input: $i) { id resolveHoldSeconds } }',
      {
        i: {
          name: 'flappy',
          labels: ['cluster', 'node'],
          matchers: ['alertname="Flappy"'],
          updateIntervalSeconds: 1,
          resolveHoldSeconds: 3,
        },
      },
      admin,
    );
    expect(flappy.errors).toBeUndefined();
    expect(flappy.data!.createCorrelationPolicy.resolveHoldSeconds).toBe(3);
    peer.accepted.length = 0;
    const node = `n-${randomUUID().slice(0, 6)}`;
    const body = (status: 'firing' | 'resolved', startsAt: string) => {
      const payload = notification('{}:{alertname="Flappy"}', [{ name: 'Flappy', node, status }]);
      payload.alerts[0].startsAt = startsAt;
      payload.alerts[0].labels.severity = 'info';
      return payload;
    };
    const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
    expect((await post(server, body('firing', '2026-11-25T10:00:00Z'))).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'the first notice', 5_000);
    expect((await post(server, body('resolved', '2026-11-25T10:00:00Z'))).status).toBe(200);
    // Past the update interval, within the hold: nothing told yet, and the incident still open.
    await sleep(1_800);
    expect(incidentMessages()).toHaveLength(0);
    const [incident] = (await server.gql('{ incidents(policyName: "flappy") { items { id state } } }', {}, admin)).data!.incidents
      .items as Array<{ id: string; state: string }>;
    expect(incident.state).not.toBe('RESOLVED');
    // It flaps: fires again and resolves, twice, each within the hold of the last resolution.
    for (const startsAt of ['2026-11-25T10:05:00Z', '2026-11-25T10:10:00Z']) {
      expect((await post(server, body('firing', startsAt))).status).toBe(200);
      await sleep(400);
      expect((await post(server, body('resolved', startsAt))).status).toBe(200);
      await sleep(600);
    }
    expect(incidentMessages()).toHaveLength(0);
    await waitFor(() => incidentMessages().length === 1, 'the resolution once the hold has passed', 8_000);
    expect(incidentMessages()[0].payload.incident).toMatchObject({ id: incident.id, notice: 'resolved' });
    await sleep(2_000);
    // The first notice and the resolution: no resolution or reopening per flap.
    expect(peer.accepted).toHaveLength(2);
    const after = await server.gql('query($id: ID!) { incident(id: $id) { state notificationCount } }', { id: incident.id }, admin);
    expect(after.data!.incident).toEqual({ state: 'RESOLVED', notificationCount: 1 });
  });

  it('two replicas opening the same incident in the same instant agree on one incident; neither delays its first notice', async () => {
    peer.accepted.length = 0;
    const node = `n-${randomUUID().slice(0, 6)}`;
    const answers = await Promise.all([
      post(server, notification('{}:{alertname="NodeDown"}', [{ name: 'NodeDown', node }])),
      post(second, notification('{}:{alertname="NodeFilesystemFull"}', [{ name: 'NodeFilesystemFull', node }])),
    ]);
    expect(answers.map((a) => a.status)).toEqual([200, 200]);
    // Neither replica knew of an incident for the node: both alerts go out at once (at most two first notices) …
    await waitFor(() => peer.accepted.length === 2, 'both first notices', 5_000);
    // … and the database keeps one incident holding both, each told, so no update follows.
    const ofNode = async () =>
      (
        (await server.gql('{ incidents(limit: 50) { items { title alertCount updatePending } } }', {}, admin)).data!.incidents
          .items as Array<{ title: string; alertCount: number }>
      ).filter((i) => i.title.includes(node));
    // Each alert is joined right after its send.
    await waitFor(async () => (await ofNode())[0]?.alertCount === 2, 'both alerts joined', 5_000);
    expect(await ofNode()).toEqual([expect.objectContaining({ alertCount: 2, updatePending: false })]);
    // A third alert of the node, to either replica, now joins it and is held for the update.
    expect((await post(second, notification('{}:{alertname="KubeletDown"}', [{ name: 'KubeletDown', node }]))).status).toBe(200);
    await waitFor(() => incidentMessages().length === 1, 'the update', 8_000);
    expect(incidentMessages()[0].payload.incident).toMatchObject({ added: 1, total: 3 });
    expect(peer.accepted).toHaveLength(3);
  });

  it('alerts no policy takes pass through as before', async () => {
    peer.accepted.length = 0;
    expect((await post(server, notification('{}:{alertname="Watchdog"}', [{ name: 'Watchdog' }]))).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'peer.accepted.length === 1', 5_000);
    expect(peer.accepted[0].payload.incident).toBeUndefined();
  });
});

describe('incidents in embedded mode (PGlite, in-process queue)', () => {
  const peer = new WebhookPeer();
  let server: ServeProcess;
  const token = 'incidents-embedded-bootstrap-0123456789';
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-incident-embedded-'));

  beforeAll(async () => {
    await peer.start();
    const flagsFile = join(dataDir, 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.grouping: true\n');
    // PGlite runs in a process of its own: it cannot load inside Jest's module sandbox.
    server = await startServeProcess({
      DATA_DIR: dataDir,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_SWEEP_INTERVAL_MS: '500',
      AUTH_BOOTSTRAP_TOKEN: token,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      LOG_LEVEL: 'warn',
    });
    const channel = await postGraphQL(
      server.url,
      `mutation { createChannel(input: { name: "oncall", type: "webhook", config: { url: "${peer.baseUrl}/h" } }) { id } }`,
      token,
    );
    await postGraphQL(
      server.url,
      `mutation { createRoute(input: { name: "all", isDefault: true, channelIds: ["${channel.data.createChannel.id}"] }) { id } }`,
      token,
    );
    const policy = await postGraphQL(
      server.url,
      `mutation { createCorrelationPolicy(input: { name: "node", labels: ["cluster", "node"], updateIntervalSeconds: 1 }) { id } }`,
      token,
    );
    expect(policy.errors).toBeUndefined();
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('first notice at once, one update, one resolution', async () => {
    const post = (body: unknown) =>
      fetch(server.url.replace('/graphql', '/api/v1/alerts/alertmanager'), {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(body),
      });
    expect((await post(notification('{}:{alertname="NodeDown"}', [{ name: 'NodeDown', node: 'n1' }]))).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'the first notice', 5_000);
    expect((await post(notification('{}:{alertname="PodNotReady"}', [{ name: 'PodNotReady', node: 'n1', pod: 'a' }]))).status).toBe(200);
    await waitFor(() => peer.accepted.length === 2, 'the update', 8_000);
    expect(peer.accepted[1].payload.incident).toMatchObject({ notice: 'update', added: 1 });
    expect(
      (
        await post(
          notification('{}:{alertname="NodeDown"}', [
            { name: 'NodeDown', node: 'n1', status: 'resolved' },
            { name: 'PodNotReady', node: 'n1', pod: 'a', status: 'resolved' },
          ]),
        )
      ).status,
    ).toBe(200);
    await waitFor(() => peer.accepted.length === 3, 'the resolution', 8_000);
    expect(peer.accepted[2].payload.incident).toMatchObject({ notice: 'resolved', resolved: 2 });
  });
});
