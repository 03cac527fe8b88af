import { createAnalysisProvider, createChannel } from '../../support/fixtures';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { OpenAIPeer } from '../../support/peers/openai-peer';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

/**
 * Smart routing (flag routing.smart): the first notice goes by the routes at once; when the
 * analysis names a team or category with enough confidence, the route's follow-ups tell those
 * channels too, with the analysis, once.
 */
describe('smart routing on analysis output', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let admin: string;
  let dir: string;
  const oncall = new WebhookPeer();
  const database = new WebhookPeer();
  const network = new WebhookPeer();
  const openai = new OpenAIPeer('sk-smart-routing-test-key');
  const channels: Record<string, string> = {};
  let providerId: string;
  let sequence = 0;

  const answer = (fields: Record<string, unknown>) =>
    (openai.content = JSON.stringify({
      root_cause: 'replication lag on pg-2',
      confidence: 0.9,
      suggested_actions: ['check the replica'],
      severity_assessment: 'high',
      ...fields,
    }));
  const setSmart = (enabled: boolean) =>
    server.gql(
      'mutation($i: FlagOverrideInput!) { setFlagOverride(input: $i) { enabled } }',
      { i: { name: 'routing.smart', enabled, reason: 'smart routing test' } },
      admin,
    );
  const told = (peer: WebhookPeer, alertname: string) =>
    peer.accepted.filter((m) => m.payload.alerts?.[0]?.labels?.alertname === alertname);

  async function send(): Promise<{ alertname: string; recordId: string }> {
    const alertname = `SmartDb${(sequence += 1)}`;
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${alertname}"}`;
    payload.alerts = [
      alert({ labels: { alertname, severity: 'critical', cluster: 'eu-1', service: 'billing' }, annotations: { summary: 'queries slow' } }),
    ];
    const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    const recordId = await waitFor(async () => {
      const records = await server.gql('query($a: String) { alertRecords(alertname: $a) { items { id state } } }', { a: alertname }, admin);
      const item = records.data!.alertRecords.items[0];
      return item?.state === 'delivered' ? (item.id as string) : false;
    }, 'the first notice');
    return { alertname, recordId };
  }

  const analysed = (recordId: string) =>
    waitFor(async () => {
      const a = (
        await server.gql(
          'query($r: ID!) { analyses(recordId: $r) { items { status category suggestedTeam confidence followUpChannelIds } } }',
          { r: recordId },
          admin,
        )
      ).data!.analyses.items[0];
      return a?.status === 'succeeded' ? a : false;
    }, 'the analysis');

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([oncall.start(), database.start(), network.start(), openai.start()]);
    dir = mkdtempSync(join(tmpdir(), 'aa-smart-'));
    writeFileSync(join(dir, 'flags.yml'), 'analysis.enabled: true\n');
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      FLAGS_BOOTSTRAP_FILE: join(dir, 'flags.yml'),
    });
    admin = await server.issueToken('admin');
    for (const [name, peer] of Object.entries({ oncall, database, network })) {
      const madeId = await createChannel(server, { name, type: 'webhook', config: { url: `${peer.baseUrl}/hook` } }, admin);
      channels[name] = madeId;
    }
    providerId = await createAnalysisProvider(
      server,
      { name: 'llm', type: 'openai', config: { baseUrl: openai.apiUrl, model: 'qwen2.5' }, secret: openai.apiKey },
      admin,
    );
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { followUps { team category minConfidence channelIds } } }',
      {
        i: {
          name: 'smart',
          matchers: ['alertname=~"SmartDb.*"'],
          channelIds: [channels.oncall],
          analysisProviderId: providerId,
          followUps: [
            { team: 'Database', channelIds: [channels.database, channels.oncall] },
            { category: 'network', minConfidence: 0.8, channelIds: [channels.network] },
          ],
        },
      },
      admin,
    );
    expect(route.errors).toBeUndefined();
    expect(route.data!.createRoute.followUps).toEqual([
      { team: 'database', category: null, minConfidence: 0.7, channelIds: [channels.database, channels.oncall] },
      { team: null, category: 'network', minConfidence: 0.8, channelIds: [channels.network] },
    ]);
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([oncall.stop(), database.stop(), network.stop(), openai.stop()]);
    await db?.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('with the flag off, analyses as before and tells no one else', async () => {
    answer({ suggested_team: 'database', category: 'database' });
    const { alertname, recordId } = await send();
    expect(await analysed(recordId)).toMatchObject({ suggestedTeam: 'database', followUpChannelIds: null });
    await new Promise((r) => setTimeout(r, 300));
    expect(told(database, alertname)).toHaveLength(0);
    expect(told(oncall, alertname)).toHaveLength(1);
  });

  it('with the flag on, tells the suggested team after the first notice, with the analysis, skipping channels already told', async () => {
    await setSmart(true);
    answer({ suggested_team: 'database', category: 'database' });
    const { alertname, recordId } = await send();
    await waitFor(() => told(database, alertname).length === 1, 'the follow-up to the database team');
    const followUp = told(database, alertname)[0].payload;
    expect(followUp.commonAnnotations).toMatchObject({
      follow_up: 'AlertAgent analysis points to team database (confidence 0.90)',
      analysis_root_cause: 'replication lag on pg-2',
      analysis_suggested_actions: 'check the replica',
      summary: 'queries slow',
    });
    // The follow-up is handed to delivery before the analysis records whom it told, so a fast
    // peer can see the message a moment before the record says so.
    const withFollowUp = await waitFor(async () => {
      const a = await analysed(recordId);
      return a.followUpChannelIds ? a : false;
    }, 'the follow-up channels on the analysis');
    expect(withFollowUp).toMatchObject({ followUpChannelIds: [channels.database] });
    const firstNotice = oncall.requests.find((r) => r.body.includes(alertname))!;
    const followUpRequest = database.requests.find((r) => r.body.includes(alertname))!;
    expect(firstNotice.receivedAt).toBeLessThan(followUpRequest.receivedAt);
    expect(told(oncall, alertname)).toHaveLength(1);
    // The provider was told which teams it may suggest.
    const [system, user] = JSON.parse(openai.requests.at(-1)!.body).messages as Array<{ content: string }>;
    expect(system.content).toContain('"suggested_team"');
    expect(JSON.parse(user.content).teams).toEqual(['database']);
  });

  it('follows a category rule only at its own confidence, and nothing below it', async () => {
    answer({ suggested_team: null, category: 'Network', confidence: 0.75 });
    const low = await send();
    expect(await analysed(low.recordId)).toMatchObject({ category: 'network', followUpChannelIds: null });
    answer({ suggested_team: 'none', category: 'network', confidence: 0.85 });
    const high = await send();
    await waitFor(() => told(network, high.alertname).length === 1, 'the follow-up to the network team');
    expect(told(network, low.alertname)).toHaveLength(0);
    expect(told(database, high.alertname)).toHaveLength(0);
  });

  it('refuses follow-ups that cannot work, saying which field is wrong', async () => {
    const create = (followUps: unknown[], analysisProviderId: string | null = providerId) =>
      server.gql(
        'mutation($i: RouteInput!) { createRoute(input: $i) { id } }',
        { i: { name: `bad-${(sequence += 1)}`, channelIds: [channels.oncall], analysisProviderId, followUps } },
        admin,
      );
    const noTarget = await create([{ channelIds: [channels.database] }]);
    expect(noTarget.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(noTarget.errors?.[0].message).toContain('a follow-up needs a team or a category');
    const unknownChannel = await create([{ team: 'db', channelIds: ['00000000-0000-4000-8000-000000000000'] }]);
    expect(unknownChannel.errors?.[0].message).toContain('input.followUps.0.channelIds');
    const noProvider = await create([{ team: 'db', channelIds: [channels.database] }], null);
    expect(noProvider.errors?.[0].message).toContain('set analysisProviderId too');
    const outOfRange = await create([{ team: 'db', minConfidence: 1.5, channelIds: [channels.database] }]);
    expect(outOfRange.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
  });
});
