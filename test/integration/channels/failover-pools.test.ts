import { RequestContext } from '@mikro-orm/core';
import { alert, alertGroup } from '../../support/alerts';
import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { scrapeMetric } from '../../support/metrics';
import { DingTalkPeer } from '../../support/peers/dingtalk-peer';
import { SlackPeer } from '../../support/peers/slack-peer';
import { TelegramPeer } from '../../support/peers/telegram-peer';
import { WeComPeer } from '../../support/peers/wecom-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';

const TOKEN = '123456789:AAF0123456789abcdefghijklmnopqrstuv';
const CREATE =
  'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id deliveryPolicy { pool backupChannelId failoverAfterAttempts effectiveRateLimit { perMinute burst } } } }';
const DELIVERY = `query($id: ID!) { delivery(id: $id) { id status source lastError failoverDeliveryId attemptLog { attempt ok carried error failoverDeliveryId robotChannelId } } }`;

/** Failover to a backup channel, robot pools, the channel SLO and scheduled probes, on the real server and PostgreSQL. */
describe('failover, pools, SLO and probes', () => {
  const dingtalk = new DingTalkPeer([{ accessToken: 'primary' }]);
  const slack = new SlackPeer();
  const wecom = new WeComPeer(['robot-a', 'robot-b', 'robot-c', 'robot-d']);
  const telegram = new TelegramPeer(TOKEN, ['42']);
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  const ids: Record<string, string> = {};

  const create = async (name: string, type: string, config: Record<string, unknown>, deliveryPolicy?: Record<string, unknown>) => {
    const created = await server.gql(CREATE, { i: { name, type, config, deliveryPolicy } }, admin);
    expect(created.errors).toBeUndefined();
    return (ids[name] = created.data!.createChannel.id as string);
  };
  const deliver = (channel: string, name: string, severity = 'warning') =>
    RequestContext.create(server.handle.services.storage.orm.em, () =>
      server.handle.services.deliveries.deliver(ids[channel]!, alertGroup([alert({ labels: { alertname: name, severity } })]), {
        source: 'api',
      }),
    );
  const delivery = async (id: string) => {
    const answer = await server.gql(DELIVERY, { id }, admin);
    if (!answer.data) throw new Error(JSON.stringify(answer.errors));
    return answer.data.delivery;
  };

  /** One after another: a caller may run only a few operations at once. */
  const deliveriesById = async (list: Array<{ id: string }>) => {
    const found = [];
    for (const { id } of list) found.push(await delivery(id));
    return found;
  };

  beforeAll(async () => {
    await Promise.all([dingtalk.start(), slack.start(), wecom.start(), telegram.start()]);
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, DELIVERY_BACKOFF_BASE_MS: '100', DELIVERY_BACKOFF_MAX_MS: '200' });
    admin = await server.issueToken('admin');
    await create('backup', 'slack', { webhookUrl: slack.webhookUrl });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await Promise.all([dingtalk.stop(), slack.stop(), wecom.stop(), telegram.stop()]);
  });

  it('primary peer down: after the configured attempts the message goes to the backup, recorded on the delivery and in its attempt log; once down, at once', async () => {
    await create(
      'primary',
      'dingtalk',
      { webhookUrl: dingtalk.webhookUrl('primary') },
      { backupChannelId: ids.backup, failoverAfterAttempts: 3 },
    );
    await dingtalk.stop(); // connection refused from now on
    const first = await deliver('primary', 'PrimaryDown');
    const handed = await waitFor(
      async () => {
        const d = await delivery(first.id);
        return d.status === 'FAILED' && d;
      },
      'the hand-over to the backup',
      15_000,
      50,
    );
    expect(handed.lastError).toMatch(/^handed over to channel backup after 3 attempts: /);
    expect(handed.attemptLog.map((a: any) => [a.attempt, a.ok, a.failoverDeliveryId])).toEqual([
      [1, false, null],
      [2, false, null],
      [3, false, handed.failoverDeliveryId],
    ]);
    const backup = await waitFor(
      async () => {
        const d = await delivery(handed.failoverDeliveryId);
        return d.status === 'DELIVERED' && d;
      },
      'the backup delivery',
      5_000,
      50,
    );
    expect(backup.source).toBe('failover');
    expect(slack.accepted.at(-1).text).toContain('PrimaryDown');
    expect(await scrapeMetric(server.baseUrl, 'alertagent_channel_failovers_total', { channel: 'primary', backup: 'backup' })).toBe(1);

    // Three failures in a row: the channel is down, so the next message does not wait for retries.
    const health = await server.gql('query($id: ID!) { channelHealth(id: $id) { status } }', { id: ids.primary }, admin);
    expect(health.data!.channelHealth.status).toBe('DOWN');
    const second = await deliver('primary', 'WhileDown');
    expect(second.status).toBe('failed');
    const log = (await delivery(second.id)).attemptLog;
    expect(log).toEqual([
      expect.objectContaining({ attempt: 1, carried: 0, error: 'the channel is down (health)', failoverDeliveryId: expect.any(String) }),
    ]);
    await waitFor(() => slack.accepted.some((m: any) => m.text.includes('WhileDown')), 'the second message at the backup', 5_000);
    // Nothing sent to the primary counted against its health for the hand-over itself.
    expect(
      (await server.gql('query($id: ID!) { channelHealth(id: $id) { attempts } }', { id: ids.primary }, admin)).data!.channelHealth
        .attempts,
    ).toBe(3);
  });

  it('a pool spreads sends over its robots round robin, multiplying the limit, and leaves out a robot that keeps failing', async () => {
    const b = await create('robot-b', 'wecom', { webhookUrl: wecom.webhookUrl('robot-b') });
    const c = await create('robot-c', 'wecom', { webhookUrl: wecom.webhookUrl('robot-c') });
    await create('pooled', 'wecom', { webhookUrl: wecom.webhookUrl('robot-a') }, { pool: [b, c] });
    const before = wecom.accepted.length;
    // 30 at once: three robots with a burst of 10 each take them at once, far past one robot's burst.
    const sent = await Promise.all(Array.from({ length: 30 }, (_, i) => deliver('pooled', `Pool${i}`)));
    const settled = await waitFor(
      async () => {
        const rows = await deliveriesById(sent);
        return rows.every((d) => d.status === 'DELIVERED') && rows;
      },
      'every pooled delivery delivered',
      10_000,
      100,
    );
    const byRobot: Record<string, number> = {};
    for (const { key } of wecom.accepted.slice(before)) byRobot[key] = (byRobot[key] ?? 0) + 1;
    expect(Object.keys(byRobot).sort()).toEqual(['robot-a', 'robot-b', 'robot-c']);
    for (const count of Object.values(byRobot)) expect(count).toBeLessThanOrEqual(10);
    expect(Object.values(byRobot).reduce((a, n) => a + n, 0)).toBeGreaterThan(20);
    const attempts = settled.map((d: any) => d.attemptLog[0]);
    expect(attempts.every((a: any) => a.ok)).toBe(true);
    expect(new Set(attempts.map((a: any) => a.robotChannelId))).toEqual(new Set([null, b, c]));
  });

  it('a pool member whose robot is gone is benched after three failures; its messages go through the others, nothing is lost', async () => {
    const gone = await create('robot-gone', 'wecom', { webhookUrl: wecom.webhookUrl('no-such-key') });
    await create('pool-with-gone', 'wecom', { webhookUrl: wecom.webhookUrl('robot-d') }, { pool: [gone] });
    const requestsToGone = () => wecom.requests.filter((r) => r.url.searchParams.get('key') === 'no-such-key').length;
    const sent: Array<{ id: string }> = [];
    for (let i = 0; i < 8; i++) sent.push(await deliver('pool-with-gone', `Gone${i}`));
    await waitFor(
      async () => (await deliveriesById(sent)).every((d) => d.status === 'DELIVERED'),
      'every pooled delivery delivered',
      10_000,
      50,
    );
    // 93000 (no such key) would be final for a lone robot; in a pool the message tries the next robot.
    expect(requestsToGone()).toBe(3);
    const failures = (await deliveriesById(sent)).flatMap((d) => d.attemptLog).filter((a: any) => !a.ok);
    expect(failures).toHaveLength(3);
    for (const failure of failures) expect(failure).toMatchObject({ robotChannelId: gone, error: expect.stringContaining('93000') });
    for (let i = 0; i < 3; i++) await deliver('pool-with-gone', `AfterBench${i}`);
    expect(requestsToGone()).toBe(3);
  });

  it('a channel SLO breach is recorded once, announced as channelSlo, shown in health and as a metric', async () => {
    await create(
      'slo',
      'dingtalk',
      { webhookUrl: 'http://127.0.0.1:9/robot/send?access_token=x' },
      { slo: { successRate: 0.99, minAttempts: 3, windowMinutes: 5 } },
    );
    const client = server.wsClient(admin);
    const events = nextResults<any>(
      client,
      'subscription { channelSlo { channelName breached successRate attempts target { successRate } } }',
      1,
      15_000,
    );
    await new Promise((r) => setTimeout(r, 300));
    for (let i = 0; i < 3; i++) {
      const row = await RequestContext.create(server.handle.services.storage.orm.em, () =>
        server.handle.services.deliveries.deliver(ids.slo!, alertGroup([alert()]), { source: 'api', maxAttempts: 1 }),
      );
      expect(row.status).toBe('failed');
    }
    await server.handle.services.channelWatch.round();
    await server.handle.services.channelWatch.round(); // a second round announces nothing new
    const [event] = await events.done;
    expect(event!.data!.channelSlo).toEqual({
      channelName: 'slo',
      breached: true,
      successRate: 0,
      attempts: 3,
      target: { successRate: 0.99 },
    });
    const health = await server.gql(
      'query($id: ID!) { channel(id: $id) { health { slo { status attempts breachedSince target { successRate windowMinutes } } } } }',
      { id: ids.slo },
      admin,
    );
    expect(health.data!.channel.health.slo).toMatchObject({
      status: 'BREACHED',
      attempts: 3,
      breachedSince: expect.any(String),
      target: { successRate: 0.99, windowMinutes: 5 },
    });
    expect(await scrapeMetric(server.baseUrl, 'alertagent_channel_slo_breached', { channel: 'slo' })).toBe(1);
  });

  it('a scheduled probe that fails makes the channel down with the probe detail, and a passing one brings it back', async () => {
    await create(
      'probed',
      'telegram',
      { botToken: '123456789:AAFxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx', chatId: '42', apiUrl: telegram.apiUrl },
      { probeIntervalSeconds: 60 },
    );
    const watch = server.handle.services.channelWatch;
    const now = Date.now();
    await watch.round(new Date(now));
    const health = async () =>
      (
        await server.gql(
          'query($id: ID!) { channelHealth(id: $id) { status lastError lastProbe { ok detail } } }',
          { id: ids.probed },
          admin,
        )
      ).data!.channelHealth;
    expect(await health()).toEqual({
      status: 'DOWN',
      lastError: 'probe: Telegram answered 401: Unauthorized (check the bot token)',
      lastProbe: { ok: false, detail: 'Telegram answered 401: Unauthorized (check the bot token)' },
    });
    expect(telegram.accepted).toHaveLength(0);
    await server.gql(
      'mutation($id: ID!, $i: UpdateChannelInput!) { updateChannel(id: $id, input: $i) { id } }',
      { id: ids.probed, i: { config: { botToken: TOKEN } } },
      admin,
    );
    await watch.round(new Date(now + 30_000)); // not due yet: nothing changes
    expect((await health()).status).toBe('DOWN');
    await watch.round(new Date(now + 61_000));
    expect(await health()).toMatchObject({ status: 'HEALTHY', lastProbe: { ok: true, detail: 'the token belongs to @alertagent_bot' } });
    expect(await scrapeMetric(server.baseUrl, 'alertagent_channel_probes_total', { channel: 'probed', outcome: 'failed' })).toBe(1);
  });

  it('refuses a policy that cannot work, naming the field, and a backup or pool member that is in use cannot be deleted', async () => {
    const attempt = async (type: string, config: Record<string, unknown>, deliveryPolicy: Record<string, unknown>) => {
      const answer = await server.gql(CREATE, { i: { name: `bad-${Math.random()}`, type, config, deliveryPolicy } }, admin);
      return answer.errors?.[0] as { message: string; extensions: Record<string, any> } | undefined;
    };
    const robot = { webhookUrl: wecom.webhookUrl('robot-a') };
    const field = (name: string) => ({
      code: 'BAD_USER_INPUT',
      issues: [expect.objectContaining({ field: `input.deliveryPolicy.${name}` })],
    });
    expect(await attempt('wecom', robot, { backupChannelId: '00000000-0000-4000-8000-000000000000' })).toMatchObject({
      extensions: field('backupChannelId'),
    });
    expect(await attempt('wecom', robot, { pool: [ids.backup] })).toMatchObject({
      message: expect.stringContaining('a pool holds robots of one type (wecom)'),
      extensions: field('pool.0'),
    });
    expect(await attempt('wecom', robot, { pool: [ids['robot-b'], ids['robot-b']] })).toMatchObject({
      message: 'input.deliveryPolicy.pool: a pool member is listed twice',
    });
    expect(await attempt('wecom', robot, { pool: [ids.pooled] })).toMatchObject({ message: expect.stringContaining('pools do not nest') });
    expect(
      await attempt('dingtalk', { webhookUrl: 'https://oapi.dingtalk.com/robot/send?access_token=x' }, { probeIntervalSeconds: 60 }),
    ).toMatchObject({
      message: 'input.deliveryPolicy.probeIntervalSeconds: a dingtalk channel cannot be probed without posting a message',
    });
    expect(await attempt('wecom', robot, { rateLimit: { perMinute: 20, burst: 20 } })).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringContaining('burst must be below perMinute'),
    });
    expect(await attempt('wecom', robot, { slo: { successRate: 1.5 } })).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    const gone = await server.gql('mutation($id: ID!) { deleteChannel(id: $id) }', { id: ids.backup }, admin);
    expect(gone.errors?.[0]).toMatchObject({
      message: 'channel backup is the backup or a pool member of channel primary; take it out of their delivery policy first',
      extensions: { code: 'CONFLICT' },
    });
    const member = await server.gql('mutation($id: ID!) { deleteChannel(id: $id) }', { id: ids['robot-b'] }, admin);
    expect(member.errors?.[0]?.extensions?.code).toBe('CONFLICT');
  });
});
