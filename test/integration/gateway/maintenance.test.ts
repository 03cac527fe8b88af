import { createCluster, routeAllTo } from '../../support/fixtures';
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
import { startAlertmanager, type RunningAlertmanager } from '../../support/alertmanager';

describe('maintenance windows (flag gateway.maintenance)', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let admin: string;
  let sender: string;

  const post = (name: string, cluster: string, status: 'firing' | 'resolved' = 'firing') => {
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${name}"}`;
    payload.status = status;
    payload.alerts[0] = {
      ...payload.alerts[0],
      status,
      labels: { alertname: name, severity: 'warning', cluster },
      fingerprint: `${name}-${cluster}`,
    };
    if (status === 'resolved') payload.alerts[0].endsAt = '2026-11-25T11:00:00Z';
    return fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${sender}` },
      body: JSON.stringify(payload),
    });
  };
  const create = (i: Record<string, unknown>) =>
    server.gql(
      'mutation($i: MaintenanceWindowInput!) { createMaintenanceWindow(input: $i) { id openUntil nextStart mirrorAsSilences } }',
      { i },
      admin,
    );
  const sent = () =>
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
    const flagsFile = join(mkdtempSync(join(tmpdir(), 'aa-maintenance-flags-')), 'flags.yaml');
    writeFileSync(flagsFile, 'gateway.maintenance: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: flagsFile,
      GATEWAY_SWEEP_INTERVAL_MS: '500',
    });
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

  it('refuses windows that cannot work, naming the field, and saves nothing', async () => {
    const soon = new Date(Date.now() + 60_000).toISOString();
    const later = new Date(Date.now() + 120_000).toISOString();
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ name: 'tz', schedule: 'CRON', expression: '0 2 * * SAT', durationSeconds: 3600, timeZone: 'Mars/Olympus' }, 'input.timeZone'],
      [{ name: 'cron', schedule: 'CRON', expression: '0 25 * * *', durationSeconds: 3600 }, 'input.expression'],
      [{ name: 'rrule', schedule: 'RRULE', expression: 'FREQ=SOMETIMES', durationSeconds: 3600, startsAt: soon }, 'input.expression'],
      [{ name: 'no-duration', schedule: 'CRON', expression: '0 2 * * SAT' }, 'input.durationSeconds'],
      [{ name: 'past', schedule: 'ONCE', startsAt: '2020-01-01T00:00:00Z', endsAt: '2020-01-01T02:00:00Z' }, 'input.endsAt'],
      [{ name: 'backwards', schedule: 'ONCE', startsAt: later, endsAt: soon }, 'input.endsAt'],
      [{ name: 'never', schedule: 'ONCE', startsAt: soon, endsAt: later, matchers: ['team="a"', 'team="b"'] }, 'input.matchers.1'],
      [
        { name: 'rrule-ended', schedule: 'RRULE', expression: 'FREQ=DAILY;COUNT=1', durationSeconds: 60, startsAt: '2020-01-01T00:00:00Z' },
        'input.expression',
      ],
    ];
    for (const [i, field] of cases) {
      const result = await create(i);
      expect([i.name, result.errors?.[0]?.extensions?.code]).toEqual([i.name, 'BAD_USER_INPUT']);
      expect(JSON.stringify(result.errors?.[0])).toContain(field);
    }
    expect((await server.gql('{ maintenanceWindows { name } }', {}, admin)).data!.maintenanceWindows).toEqual([]);
  });

  it('recurring windows say when they are open and when they start next', async () => {
    const every = await create({
      name: 'always',
      schedule: 'CRON',
      expression: '* * * * *',
      durationSeconds: 120,
      clusters: ['nowhere'],
      timeZone: 'Europe/Berlin',
    });
    expect(every.errors).toBeUndefined();
    expect(every.data!.createMaintenanceWindow.openUntil).not.toBeNull();
    const weekly = await create({
      name: 'weekly',
      schedule: 'RRULE',
      expression: 'FREQ=WEEKLY;BYDAY=SA',
      durationSeconds: 7200,
      startsAt: '2026-01-03T02:00:00Z',
      timeZone: 'UTC',
      clusters: ['nowhere'],
    });
    expect(weekly.errors).toBeUndefined();
    expect(new Date(weekly.data!.createMaintenanceWindow.nextStart).getUTCDay()).toBe(6);
  });

  it("mirrors a window as silences on the covered clusters' Alertmanagers, and expires them when the window is disabled", async () => {
    const am: RunningAlertmanager = await startAlertmanager('route:\n  receiver: none\nreceivers:\n  - name: none\n');
    try {
      await createCluster(server, { name: 'mirror-a', labels: {}, alertmanagerUrls: [am.url] }, admin);
      await createCluster(server, { name: 'mirror-b', labels: {}, alertmanagerUrls: ['http://127.0.0.1:9'] }, admin);
      const made = await create({
        name: 'db upgrade',
        schedule: 'ONCE',
        startsAt: new Date(Date.now() - 1_000).toISOString(),
        endsAt: new Date(Date.now() + 600_000).toISOString(),
        clusters: ['mirror-a'],
        matchers: ['team="db"', 'severity=~"warning|critical"'],
        mirrorAsSilences: true,
      });
      expect(made.errors).toBeUndefined();
      type Silence = {
        id: string;
        status: { state: string };
        comment: string;
        createdBy: string;
        matchers: Array<{ name: string; value: string; isRegex: boolean; isEqual: boolean }>;
      };
      const silences = async () =>
        ((await (await fetch(`${am.url}/api/v2/silences`)).json()) as Silence[]).filter((x) => x.comment.includes('db upgrade'));
      await waitFor(async () => (await silences()).some((x) => x.status.state === 'active'), 'the silence is set', 8_000);
      const [silence] = await silences();
      expect(silence.createdBy).toBe('alertagent');
      expect(silence.matchers.map((m) => `${m.name}${m.isEqual ? '' : '!'}${m.isRegex ? '=~' : '='}${m.value}`).sort()).toEqual([
        'severity=~warning|critical',
        'team=db',
      ]);
      await new Promise((r) => setTimeout(r, 1_200));
      expect((await silences()).filter((x) => x.status.state === 'active')).toHaveLength(1);

      const id = made.data!.createMaintenanceWindow.id;
      const disabled = await server.gql(
        'mutation($id: ID!) { updateMaintenanceWindow(id: $id, input: { enabled: false }) { mirrorAsSilences enabled } }',
        { id },
        admin,
      );
      expect(disabled.errors).toBeUndefined();
      expect(disabled.data!.updateMaintenanceWindow).toEqual({ mirrorAsSilences: true, enabled: false });
      await waitFor(async () => (await silences()).every((x) => x.status.state === 'expired'), 'the silence is expired', 8_000);
    } finally {
      await am.stop();
    }
  });

  it('suppresses what an open window covers and sends what still fires when it closes', async () => {
    peer.accepted.length = 0;
    const window = await create({
      name: 'prod-a upgrade',
      schedule: 'ONCE',
      startsAt: new Date(Date.now() - 1_000).toISOString(),
      endsAt: new Date(Date.now() + 3_000).toISOString(),
      clusters: ['prod-a'],
    });
    expect(window.errors).toBeUndefined();
    expect((await post('ApiDown', 'prod-a')).status).toBe(200);
    expect((await post('CacheDown', 'prod-a')).status).toBe(200);
    expect((await post('CacheDown', 'prod-a', 'resolved')).status).toBe(200);
    expect((await post('ApiDown', 'prod-b')).status).toBe(200);
    await waitFor(() => sent().includes('ApiDown/prod-b/firing'), 'the other cluster is not covered', 5_000);
    await waitFor(async () => (await record('ApiDown-prod-a'))?.state === 'suppressed', 'recorded as suppressed', 5_000);
    expect((await record('ApiDown-prod-a')).holdReason).toMatch(/^in maintenance window "prod-a upgrade" until /);
    expect(sent()).toEqual(['ApiDown/prod-b/firing']);

    await waitFor(() => sent().includes('ApiDown/prod-a/firing'), 'sent when the window closed', 8_000);
    const late = peer.accepted.find((m) => m.payload.alerts[0].labels.cluster === 'prod-a')!;
    expect(late.payload.alerts[0].annotations.alertagent_maintenance_ended).toBeDefined();
    await new Promise((r) => setTimeout(r, 1_200));
    // CacheDown resolved inside the window: neither its firing nor its resolution is sent.
    expect(sent().sort()).toEqual(['ApiDown/prod-a/firing', 'ApiDown/prod-b/firing']);
  });
});
