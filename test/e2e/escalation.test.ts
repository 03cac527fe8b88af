import { createChannel, createRoute } from '../support/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nextResults, startTestServer, type TestServer } from '../support/app';
import { alertmanagerConfigFor, startAlertmanager, type RunningAlertmanager } from '../support/alertmanager';
import { TEST_REDIS_URL } from '../support/env';
import { OpenAIPeer } from '../support/peers/openai-peer';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { testRedisPrefix } from '../support/redis';
import { waitFor } from '../support/wait';

/**
 * Alert → pass-through → analysis → result written back and streamed → escalation, through a real
 * Alertmanager, on two replicas sharing PostgreSQL and Redis: levels go out once each, carry the
 * analysis and a single-use ack link, and stop on acknowledgement (link or API) or resolution.
 */
describe('escalation through a real Alertmanager', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let dir: string;
  let first: TestServer;
  let second: TestServer;
  let firstStopped = false;
  let alertmanager: RunningAlertmanager;
  let admin: string;
  let operator: string;
  const oncall = new WebhookPeer();
  const lead = new WebhookPeer();
  const manager = new WebhookPeer();
  const openai = new OpenAIPeer('sk-escalation-test-key');
  const channels: Record<string, string> = {};

  const named = (peer: WebhookPeer, alertname: string) =>
    peer.accepted.filter((m) => m.payload.alerts?.[0]?.labels?.alertname === alertname);
  const recordOf = async (alertname: string): Promise<{ id: string; state: string; status: string }> =>
    waitFor(
      async () =>
        (
          await first.gql('query($a: String) { alertRecords(alertname: $a) { items { id state status } } }', { a: alertname }, admin)
        ).data!.alertRecords.items.find((r: { state: string }) => r.state === 'delivered'),
      `the record of ${alertname}`,
      20_000,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([oncall.start(), lead.start(), manager.start(), openai.start()]);
    dir = mkdtempSync(join(tmpdir(), 'aa-escalation-'));
    writeFileSync(join(dir, 'flags.yml'), 'analysis.enabled: true\nanalysis.escalation: true\n');
    const env = {
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: join(dir, 'flags.yml'),
      GATEWAY_SWEEP_INTERVAL_MS: '500',
    };
    first = await startTestServer(env);
    second = await startTestServer({ ...env, PUBLIC_URL: 'http://replica-two.invalid' });
    admin = await first.issueToken('admin');
    operator = await first.issueToken('operator', 'alice');
    const sender = await first.issueToken('operator', 'alertmanager');
    for (const [name, peer] of Object.entries({ oncall, lead, manager })) {
      channels[name] = await createChannel(first, { name, type: 'webhook', config: { url: `${peer.baseUrl}/hook` } }, admin);
    }
    const provider = await first.gql(
      'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }',
      { i: { name: 'llm', type: 'openai', config: { baseUrl: openai.apiUrl, model: 'qwen2.5' }, secret: openai.apiKey } },
      admin,
    );
    openai.content = JSON.stringify({
      root_cause: 'the WAL volume is full',
      confidence: 0.87,
      suggested_actions: ['grow the WAL volume', 'drop the stale replication slot'],
      severity_assessment: 'critical',
    });
    await createRoute(
      first,
      { name: 'all', isDefault: true, channelIds: [channels.oncall], analysisProviderId: provider.data!.createAnalysisProvider.id },
      admin,
    );
    const fast = await first.gql(
      'mutation($i: EscalationPolicyInput!) { createEscalationPolicy(input: $i) { id levels { delaySeconds channelIds } } }',
      {
        i: {
          name: 'disk',
          matchers: ['alertname=~"Disk.*"'],
          levels: [
            { delaySeconds: 2, channelIds: [channels.lead] },
            { delaySeconds: 2, channelIds: [channels.manager] },
          ],
        },
      },
      admin,
    );
    expect(fast.errors).toBeUndefined();
    const slow = await first.gql(
      'mutation($i: EscalationPolicyInput!) { createEscalationPolicy(input: $i) { id } }',
      { i: { name: 'slow', matchers: ['alertname=~"Slow.*"'], levels: [{ delaySeconds: 4, channelIds: [channels.lead] }] } },
      admin,
    );
    expect(slow.errors).toBeUndefined();
    alertmanager = await startAlertmanager(alertmanagerConfigFor(`${first.baseUrl}/api/v1/alerts/alertmanager`, sender));
  }, 60_000);

  afterAll(async () => {
    await alertmanager?.stop();
    if (!firstStopped) await first?.stop();
    await second?.stop();
    await Promise.all([oncall.stop(), lead.stop(), manager.stop(), openai.stop()]);
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('tells each level once with the analysis and an ack link, and stops when the link is used', async () => {
    const results = nextResults<{ analysisResults: Record<string, unknown> }>(
      second.wsClient(admin),
      'subscription { analysisResults(alertname: "DiskFull") { status rootCause confidence } }',
      3,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    expect(
      (
        await alertmanager.postAlerts([
          { labels: { alertname: 'DiskFull', severity: 'critical', instance: 'pg-2' }, annotations: { summary: 'disk 97% full' } },
        ])
      ).status,
    ).toBe(200);
    await waitFor(() => named(oncall, 'DiskFull').length === 1, 'the first notice', 20_000);
    const streamed = (await results.done).map((r) => r.data!.analysisResults);
    expect(streamed.at(-1)).toEqual({ status: 'succeeded', rootCause: 'the WAL volume is full', confidence: 0.87 });

    await waitFor(() => named(lead, 'DiskFull').length === 1, 'level 1', 10_000);
    const notice = named(lead, 'DiskFull')[0].payload.alerts[0].annotations;
    expect(notice).toMatchObject({
      summary: 'disk 97% full',
      escalation: expect.stringMatching(/^Not acknowledged \d+ min after the first notice: level 1 of 2 of escalation policy disk$/),
      analysis_root_cause: 'the WAL volume is full',
      analysis_confidence: '0.87',
      analysis_suggested_actions: 'grow the WAL volume; drop the stale replication slot',
    });
    const link = new URL(notice.acknowledge);
    expect(link.pathname).toMatch(/^\/ack\/[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/);

    // Opening the link (a chat preview does this) shows a page and spends nothing.
    const local = `${first.baseUrl}${link.pathname}`;
    const shown = await fetch(local);
    expect(shown.status).toBe(200);
    expect(await shown.text()).toContain('<form method="post">');
    const used = await fetch(local, { method: 'POST', headers: { accept: 'application/json' } });
    expect(used.status).toBe(200);
    expect(await used.json()).toMatchObject({
      acknowledged: true,
      did: expect.stringMatching(/^acknowledged alert DiskFull \(firing since .+\), as link:channel:/),
    });
    const again = await fetch(local, { method: 'POST', headers: { accept: 'application/json' } });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ code: 'CONFLICT', message: 'this link was already used; each link acknowledges once' });
    const refused = (
      await first.gql('query { auditEvents(action: "ack-link.refused", limit: 5) { items { actor details } } }', undefined, admin)
    ).data!.auditEvents.items;
    expect(refused[0]).toMatchObject({
      actor: expect.stringMatching(/^link:channel:/),
      details: { reason: 'used', target: { kind: 'alert' } },
    });
    const forged = await fetch(`${local.slice(0, -3)}abc`, { method: 'POST', headers: { accept: 'application/json' } });
    expect(forged.status).toBe(404);
    expect(((await forged.json()) as { message: string }).message).toBe('this link was not issued by AlertAgent');
    const html = await fetch(`${first.baseUrl}/ack/not-a-token`, { method: 'POST' });
    expect(html.status).toBe(400);
    expect(html.headers.get('content-type')).toContain('text/html');

    await new Promise((r) => setTimeout(r, 3_500));
    expect(named(manager, 'DiskFull')).toHaveLength(0);
    expect(named(lead, 'DiskFull')).toHaveLength(1);
    await recordOf('DiskFull');
    const ack = (
      await first.gql(
        'query($a: String) { alertRecords(alertname: $a) { items { acknowledgement { acknowledgedBy via timeToAckSeconds } } } }',
        { a: 'DiskFull' },
        admin,
      )
    ).data!.alertRecords.items[0].acknowledgement;
    expect(ack).toMatchObject({ acknowledgedBy: expect.stringMatching(/^link:channel:/), via: 'link' });
    expect(ack.timeToAckSeconds).toBeGreaterThanOrEqual(2);
  }, 60_000);

  it('goes up every level once across both replicas when nobody acknowledges, then stops', async () => {
    expect((await alertmanager.postAlerts([{ labels: { alertname: 'DiskSlow', severity: 'warning', instance: 'pg-3' } }])).status).toBe(
      200,
    );
    await waitFor(() => named(manager, 'DiskSlow').length === 1, 'level 2', 20_000);
    await new Promise((r) => setTimeout(r, 2_500));
    expect(named(lead, 'DiskSlow')).toHaveLength(1);
    expect(named(manager, 'DiskSlow')).toHaveLength(1);
    expect(named(manager, 'DiskSlow')[0].payload.alerts[0].annotations.escalation).toMatch(/level 2 of 2 of escalation policy disk$/);
    expect(named(oncall, 'DiskSlow')).toHaveLength(1);
  }, 60_000);

  it('stops on an acknowledgement through the API, and records who and how long it took', async () => {
    expect((await alertmanager.postAlerts([{ labels: { alertname: 'SlowQueries', severity: 'warning', instance: 'pg-4' } }])).status).toBe(
      200,
    );
    const record = await recordOf('SlowQueries');
    const acked = await first.gql(
      'mutation($r: ID!) { acknowledgeAlert(recordId: $r, note: "looking at it") { acknowledgedBy via note timeToAckSeconds } }',
      { r: record.id },
      operator,
    );
    expect(acked.errors).toBeUndefined();
    expect(acked.data!.acknowledgeAlert).toMatchObject({ acknowledgedBy: 'api-token:alice', via: 'api', note: 'looking at it' });
    const repeat = await second.gql(
      'mutation($r: ID!) { acknowledgeAlert(recordId: $r) { acknowledgedBy note } }',
      { r: record.id },
      admin,
    );
    expect(repeat.data!.acknowledgeAlert).toEqual({ acknowledgedBy: 'api-token:alice', note: 'looking at it' });
    await new Promise((r) => setTimeout(r, 5_000));
    expect(named(lead, 'SlowQueries')).toHaveLength(0);
    const viewer = await first.issueToken('viewer', 'watcher');
    expect(
      (await first.gql('mutation($r: ID!) { acknowledgeAlert(recordId: $r) { via } }', { r: record.id }, viewer)).errors?.[0].extensions
        ?.code,
    ).toBe('FORBIDDEN');
    expect(
      (await first.gql('mutation { acknowledgeAlert(recordId: "00000000-0000-4000-8000-000000000000") { via } }', undefined, admin))
        .errors?.[0].extensions?.code,
    ).toBe('NOT_FOUND');
  }, 30_000);

  it('stops when Alertmanager reports the alert resolved, and records the time to resolve', async () => {
    const startsAt = new Date().toISOString();
    expect(
      (await alertmanager.postAlerts([{ labels: { alertname: 'SlowDisk', severity: 'warning', instance: 'pg-5' }, startsAt }])).status,
    ).toBe(200);
    await recordOf('SlowDisk');
    expect(
      (
        await alertmanager.postAlerts([
          { labels: { alertname: 'SlowDisk', severity: 'warning', instance: 'pg-5' }, startsAt, endsAt: new Date().toISOString() },
        ])
      ).status,
    ).toBe(200);
    await waitFor(
      async () =>
        (
          await first.gql('query { alertRecords(alertname: "SlowDisk") { items { status } } }', undefined, admin)
        ).data!.alertRecords.items.some((r: { status: string }) => r.status === 'resolved'),
      'the resolution',
      20_000,
    );
    await new Promise((r) => setTimeout(r, 4_500));
    expect(named(lead, 'SlowDisk')).toHaveLength(0);
    const times = (
      await first.gql(
        'query { alertRecords(alertname: "SlowDisk") { items { acknowledgement { acknowledgedAt timeToResolveSeconds } } } }',
        undefined,
        admin,
      )
    ).data!.alertRecords.items[0].acknowledgement;
    expect(times.acknowledgedAt).toBeNull();
    expect(times.timeToResolveSeconds).toBeGreaterThanOrEqual(0);
  }, 40_000);

  it('refuses escalation policies that cannot work, naming the field', async () => {
    const create = (i: Record<string, unknown>) =>
      first.gql('mutation($i: EscalationPolicyInput!) { createEscalationPolicy(input: $i) { id } }', { i }, admin);
    expect(
      (await create({ name: 'x', matchers: [], levels: [{ delaySeconds: 60, channelIds: [channels.lead] }] })).errors?.[0].message,
    ).toContain('at least one matcher');
    expect((await create({ name: 'x', matchers: ['a="b"'], levels: [] })).errors?.[0].message).toContain('at least one level');
    expect(
      (await create({ name: 'x', matchers: ['a="b"'], levels: [{ delaySeconds: 0, channelIds: [channels.lead] }] })).errors?.[0].extensions
        ?.code,
    ).toBe('BAD_USER_INPUT');
    expect(
      (
        await create({
          name: 'x',
          matchers: ['a="b"'],
          levels: [{ delaySeconds: 60, channelIds: ['00000000-0000-4000-8000-000000000000'] }],
        })
      ).errors?.[0].message,
    ).toContain('input.levels.0.channelIds');
    expect(
      (await create({ name: 'disk', matchers: ['a="b"'], levels: [{ delaySeconds: 60, channelIds: [channels.lead] }] })).errors?.[0]
        .extensions?.code,
    ).toBe('CONFLICT');
    const viewer = await first.issueToken('viewer', 'reader');
    expect(
      (
        await first.gql(
          'mutation($i: EscalationPolicyInput!) { createEscalationPolicy(input: $i) { id } }',
          { i: { name: 'y', matchers: ['a="b"'], levels: [{ delaySeconds: 60, channelIds: [channels.lead] }] } },
          viewer,
        )
      ).errors?.[0].extensions?.code,
    ).toBe('FORBIDDEN');
  });

  it('keeps its timers when the replica that started them stops: the other replica sends each level once', async () => {
    expect((await alertmanager.postAlerts([{ labels: { alertname: 'DiskRestart', severity: 'critical', instance: 'pg-6' } }])).status).toBe(
      200,
    );
    await waitFor(() => named(oncall, 'DiskRestart').length === 1, 'the first notice', 20_000);
    await first.stop();
    firstStopped = true;
    await waitFor(() => named(manager, 'DiskRestart').length === 1, 'level 2 from the remaining replica', 20_000);
    await new Promise((r) => setTimeout(r, 2_000));
    expect(named(lead, 'DiskRestart')).toHaveLength(1);
    expect(named(manager, 'DiskRestart')).toHaveLength(1);
    // Links name the replica that sent them (its PUBLIC_URL).
    expect(named(manager, 'DiskRestart')[0].payload.alerts[0].annotations.acknowledge).toMatch(/^http:\/\/replica-two\.invalid\/ack\//);
  }, 40_000);
});
