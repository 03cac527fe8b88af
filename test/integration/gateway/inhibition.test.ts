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

type Alert = { name: string; cluster: string; region: string; id?: string; status?: 'firing' | 'resolved' };

function notification(alerts: Alert[]) {
  const payload = validPayload();
  const template = payload.alerts[0];
  payload.groupKey = `{}:{alertname="${alerts[0].name}",cluster="${alerts[0].cluster}"}`;
  payload.alerts = alerts.map((a) => ({
    ...template,
    status: a.status ?? 'firing',
    labels: { alertname: a.name, severity: 'critical', cluster: a.cluster, region: a.region, ...(a.id ? { instance: a.id } : {}) },
    endsAt: a.status === 'resolved' ? '2026-11-25T11:00:00Z' : template.endsAt,
    fingerprint: `${a.name}-${a.cluster}-${a.region}-${a.id ?? ''}`,
  }));
  return payload;
}

/** Targets still held when their source stops wait this long for their own resolution (Alertmanager's group_interval in production). */
const RELEASE_WAIT_MS = 3_000;

describe('inhibition (flag gateway.inhibition)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let admin: string;
  let sender: string;
  let ruleId: string;

  const post = (alerts: Alert[]) =>
    fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(notification(alerts)),
    });
  const sentNames = () =>
    peer.accepted.flatMap((m) =>
      m.payload.alerts.map(
        (a: { labels: Record<string, string>; status: string }) => `${a.labels.alertname}/${a.labels.cluster}/${a.status}`,
      ),
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
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-inhibition-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.inhibition: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_SWEEP_INTERVAL_MS: '500',
      GATEWAY_INHIBITION_RELEASE_WAIT_MS: String(RELEASE_WAIT_MS),
    });
    admin = await server.issueToken('admin');
    sender = await server.issueToken('operator', 'alertmanager');
    const _channelId = await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    const rule = await server.gql(
      'mutation($i: InhibitionRuleInput!) { createInhibitionRule(input: $i) { id sourceMatchers targetMatchers equal } }',
      {
        i: {
          name: 'region-unreachable',
          sourceMatchers: ['alertname="RegionUnreachable"'],
          targetMatchers: ['severity=~"warning|critical"'],
          equal: ['region'],
        },
      },
      admin,
    );
    expect(rule.errors).toBeUndefined();
    ruleId = rule.data!.createInhibitionRule.id;
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('refuses rules that cannot match or would inhibit everything, naming the field', async () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'no-source', sourceMatchers: [], targetMatchers: ['a="b"'] }, 'input.sourceMatchers'],
      [{ name: 'no-target', sourceMatchers: ['a="b"'], targetMatchers: [] }, 'input.targetMatchers'],
      [{ name: 'everything', sourceMatchers: ['a="b"'], targetMatchers: ['alertname=~".*"'] }, 'input.targetMatchers'],
      [{ name: 'never', sourceMatchers: ['a="b"', 'a="c"'], targetMatchers: ['x="y"'] }, 'input.sourceMatchers.1'],
      [{ name: 'bad-equal', sourceMatchers: ['a="b"'], targetMatchers: ['x="y"'], equal: ['not-a-label'] }, 'input.equal.0'],
      [{ name: 'bad-regex', sourceMatchers: ['a=~"("'], targetMatchers: ['x="y"'] }, 'input.sourceMatchers.0'],
    ];
    for (const [i, field] of cases) {
      const result = await server.gql('mutation($i: InhibitionRuleInput!) { createInhibitionRule(input: $i) { id } }', { i }, admin);
      expect(result.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(result.errors?.[0])).toContain(field);
    }
    const rules = await server.gql('{ inhibitionRules { name } }', {}, admin);
    expect(rules.data!.inhibitionRules.map((r: { name: string }) => r.name)).toEqual(['region-unreachable']);
  });

  it('a source in one cluster holds targets of another back, and they go out when it resolves', async () => {
    expect((await post([{ name: 'RegionUnreachable', cluster: 'probes', region: 'eu' }])).status).toBe(200);
    await waitFor(() => sentNames().includes('RegionUnreachable/probes/firing'), 'the source itself is sent', 5_000);

    expect(
      (
        await post([
          { name: 'ApiDown', cluster: 'prod-eu', region: 'eu', id: 'a' },
          { name: 'DbDown', cluster: 'prod-eu', region: 'eu', id: 'b' },
        ])
      ).status,
    ).toBe(200);
    expect((await post([{ name: 'ApiDown', cluster: 'prod-us', region: 'us', id: 'c' }])).status).toBe(200);
    await waitFor(() => sentNames().includes('ApiDown/prod-us/firing'), 'the other region is not inhibited', 5_000);
    await waitFor(async () => (await record('ApiDown-prod-eu-eu-a'))?.state === 'inhibited', 'the target recorded as inhibited', 5_000);
    expect((await record('ApiDown-prod-eu-eu-a')).holdReason).toMatch(
      /^inhibited by rule "region-unreachable": source RegionUnreachable \(RegionUnreachable-probes-eu-\) firing since /,
    );
    expect(sentNames().filter((n) => n.includes('prod-eu'))).toEqual([]);

    // DbDown resolves while held: never sent, so neither is its resolution.
    expect((await post([{ name: 'DbDown', cluster: 'prod-eu', region: 'eu', id: 'b', status: 'resolved' }])).status).toBe(200);
    expect((await post([{ name: 'RegionUnreachable', cluster: 'probes', region: 'eu', status: 'resolved' }])).status).toBe(200);
    const sourceResolved = Date.now();
    await waitFor(() => sentNames().includes('ApiDown/prod-eu/firing'), 'the target still firing, sent after the release wait', 10_000);
    expect(Date.now() - sourceResolved).toBeGreaterThanOrEqual(RELEASE_WAIT_MS - 100);
    const released = peer.accepted.find((m) =>
      m.payload.alerts.some((a: { labels: Record<string, string> }) => a.labels.cluster === 'prod-eu'),
    )!;
    expect(released.payload.alerts).toHaveLength(1);
    expect(released.payload.alerts[0].annotations.alertagent_inhibition_ended).toBeDefined();
    await new Promise((r) => setTimeout(r, 1_000));
    expect(sentNames().filter((n) => n.startsWith('DbDown'))).toEqual([]);
    expect(sentNames().filter((n) => n === 'ApiDown/prod-eu/firing')).toHaveLength(1);
  });

  it('during the release wait: a target that resolves is never sent, one reported firing again goes at once and once, and a source firing again holds on', async () => {
    peer.accepted.length = 0;
    const sa = (name: string, id: string, status: 'firing' | 'resolved' = 'firing') =>
      post([{ name, cluster: 'prod-sa', region: 'sa', id, status }]);
    expect((await post([{ name: 'RegionUnreachable', cluster: 'probes', region: 'sa' }])).status).toBe(200);
    await waitFor(() => sentNames().includes('RegionUnreachable/probes/firing'), 'the source itself is sent', 5_000);
    for (const [name, id] of [
      ['QueueDown', 'e'],
      ['WebDown', 'f'],
    ])
      expect((await sa(name, id)).status).toBe(200);
    await waitFor(async () => (await record('WebDown-prod-sa-sa-f'))?.state === 'inhibited', 'both held', 5_000);
    const resolvedSources = () => sentNames().filter((n) => n === 'RegionUnreachable/probes/resolved').length;
    const before = resolvedSources();
    expect((await post([{ name: 'RegionUnreachable', cluster: 'probes', region: 'sa', status: 'resolved' }])).status).toBe(200);
    // Receipts are processed side by side: the source's resolution must be through before the targets' news.
    await waitFor(() => resolvedSources() > before, 'the source resolution is through the gateway', 5_000);
    // Within the wait, Alertmanager reports QueueDown resolved and WebDown still firing (their groups' next notifications).
    expect((await sa('QueueDown', 'e', 'resolved')).status).toBe(200);
    // (With a new alert beside it: an identical notification within the dedupe window is an HA copy.)
    expect((await post(['f', 'h'].map((id) => ({ name: 'WebDown', cluster: 'prod-sa', region: 'sa', id })))).status).toBe(200);
    await waitFor(() => sentNames().includes('WebDown/prod-sa/firing'), 'WebDown by its own notification', 5_000);
    const direct = peer.accepted.find((m) =>
      m.payload.alerts.some((a: { labels: Record<string, string> }) => a.labels.alertname === 'WebDown'),
    )!;
    expect(direct.payload.alerts.map((a: { annotations: Record<string, string> }) => a.annotations.alertagent_inhibition_ended)).toEqual([
      undefined,
      undefined,
    ]);
    await new Promise((r) => setTimeout(r, RELEASE_WAIT_MS + 1_000));
    expect(sentNames().filter((n) => n.includes('prod-sa'))).toEqual(['WebDown/prod-sa/firing', 'WebDown/prod-sa/firing']);
    expect((await record('QueueDown-prod-sa-sa-e')).holdReason).toBe(
      'resolved while inhibited: it was never sent, so neither is its resolution',
    );

    // The source stops and another source of the region fires within the wait: what they hold stays held.
    const af = { cluster: 'probes', region: 'af' } as const;
    expect((await post([{ name: 'RegionUnreachable', ...af }])).status).toBe(200);
    // The source first (receipts are processed side by side; a target taken before its source is not held).
    await waitFor(
      async () => (await record('RegionUnreachable-probes-af-'))?.state === 'delivered',
      'the source is through the gateway',
      5_000,
    );
    expect((await post([{ name: 'CacheDown', cluster: 'prod-af', region: 'af', id: 'g' }])).status).toBe(200);
    await waitFor(async () => (await record('CacheDown-prod-af-af-g'))?.state === 'inhibited', 'held', 5_000);
    expect((await post([{ name: 'RegionUnreachable', ...af, status: 'resolved' }])).status).toBe(200);
    expect((await post([{ name: 'RegionUnreachable', ...af, id: 'x' }])).status).toBe(200);
    await new Promise((r) => setTimeout(r, RELEASE_WAIT_MS + 1_000));
    expect(sentNames().filter((n) => n.startsWith('CacheDown/prod-af'))).toEqual([]);
  });

  it('deleting a rule releases what it held at the next sweep', async () => {
    peer.accepted.length = 0;
    expect((await post([{ name: 'RegionUnreachable', cluster: 'probes', region: 'ap' }])).status).toBe(200);
    // A target taken before its source is not inhibited (as in Alertmanager): the source goes first.
    await waitFor(() => sentNames().includes('RegionUnreachable/probes/firing'), 'the source itself is sent', 5_000);
    expect((await post([{ name: 'CacheDown', cluster: 'prod-ap', region: 'ap', id: 'd' }])).status).toBe(200);
    await waitFor(async () => (await record('CacheDown-prod-ap-ap-d'))?.state === 'inhibited', 'held', 5_000);
    expect(
      (await server.gql('mutation($id: ID!) { deleteInhibitionRule(id: $id) }', { id: ruleId }, admin)).data!.deleteInhibitionRule,
    ).toBe(true);
    await waitFor(() => sentNames().includes('CacheDown/prod-ap/firing'), 'released after the rule went', 5_000);
  });
});

describe('inhibition with incidents (gateway.inhibition and gateway.grouping)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let admin: string;

  const post = (name: string, severity: string, status: 'firing' | 'resolved' = 'firing') => {
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${name}"}`;
    payload.status = status;
    payload.alerts[0] = { ...payload.alerts[0], status, labels: { alertname: name, severity, node: 'n1' }, fingerprint: `${name}-n1` };
    if (status === 'resolved') payload.alerts[0].endsAt = '2026-11-25T11:00:00Z';
    return fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${admin}` },
      body: JSON.stringify(payload),
    });
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-inhibition-incidents-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.inhibition: true\ngateway.grouping: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_SWEEP_INTERVAL_MS: '500',
      // Released at once when the source resolves: this test is about where a released target goes.
      GATEWAY_INHIBITION_RELEASE_WAIT_MS: '0',
    });
    admin = await server.issueToken('admin');
    await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    const policy = await server.gql(
      'mutation { createCorrelationPolicy(input: { name: "node", labels: ["node"], updateIntervalSeconds: 1 }) { id } }',
      {},
      admin,
    );
    const rule = await server.gql(
      'mutation { createInhibitionRule(input: { name: "node-down", sourceMatchers: ["alertname=\\"NodeDown\\""], targetMatchers: ["severity=\\"warning\\""], equal: ["node"] }) { id } }',
      {},
      admin,
    );
    expect([policy.errors, rule.errors]).toEqual([undefined, undefined]);
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('a target released when its source resolves joins the open incident instead of going out alone', async () => {
    expect((await post('NodeDown', 'critical')).status).toBe(200);
    await waitFor(() => peer.accepted.length === 1, 'the first notice', 5_000);
    expect((await post('PodSlow', 'warning')).status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await post('NodeDown', 'critical', 'resolved')).status).toBe(200);
    await waitFor(() => peer.accepted.length === 2, 'the incident update', 8_000);
    const update = peer.accepted[1].payload;
    expect(update.incident).toMatchObject({ notice: 'update', added: 1, firing: 1, total: 2 });
    expect(update.alerts.map((a: { labels: Record<string, string> }) => a.labels.alertname)).toContain('PodSlow');
    await new Promise((r) => setTimeout(r, 1_500));
    expect(peer.accepted.filter((m) => !m.payload.incident)).toHaveLength(1);
  });
});
