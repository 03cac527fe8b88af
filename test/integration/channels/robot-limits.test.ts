import { RequestContext } from '@mikro-orm/core';
import { alert, alertGroup, stormPayload } from '../../support/alerts';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { DingTalkPeer } from '../../support/peers/dingtalk-peer';
import { FeishuPeer } from '../../support/peers/feishu-peer';
import { PagerDutyPeer } from '../../support/peers/pagerduty-peer';
import { SlackPeer } from '../../support/peers/slack-peer';
import { TeamsPeer } from '../../support/peers/teams-peer';
import { TelegramPeer } from '../../support/peers/telegram-peer';
import { WeComPeer } from '../../support/peers/wecom-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const TELEGRAM_TOKEN = '123456789:AAF0123456789abcdefghijklmnopqrstuv';

/** The alert names a message names, in the order it first names them. */
function namesIn(text: string, pattern: RegExp): string[] {
  return [...new Set([...text.matchAll(pattern)].map((m) => m[0]))];
}

/** Most requests in any 60 seconds among these arrival times. */
function busiestMinute(times: number[]): number {
  let most = 0;
  for (let i = 0; i < times.length; i++) most = Math.max(most, times.filter((t) => t >= times[i]! && t < times[i]! + 60_000).length);
  return most;
}

/**
 * Robot limits respected before sending, on the real server with Redis holding the buckets:
 * a DingTalk storm stays within 20 messages in any minute, merged and in order, with the first
 * critical alert first; every other robot type takes a burst without its peer ever refusing.
 */
describe('robot rate limits', () => {
  const dingtalk = new DingTalkPeer([{ accessToken: 'storm' }]);
  const wecom = new WeComPeer(['burst']);
  const feishu = new FeishuPeer([{ token: 'burst' }]);
  const slack = new SlackPeer();
  const teams = new TeamsPeer();
  const telegram = new TelegramPeer(TELEGRAM_TOKEN, ['42']);
  const pagerduty = new PagerDutyPeer(['R'.repeat(32)]);
  const redis = testRedisPrefix();
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  const channelIds: Record<string, string> = {};

  beforeAll(async () => {
    await Promise.all([dingtalk, wecom, feishu, slack, teams, telegram, pagerduty].map((p) => p.start()));
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    admin = await server.issueToken('admin');
    const channels: Array<[string, string, Record<string, unknown>, Record<string, unknown>?]> = [
      ['storm', 'dingtalk', { webhookUrl: dingtalk.webhookUrl('storm'), msgType: 'text' }],
      ['wecom', 'wecom', { webhookUrl: wecom.webhookUrl('burst') }],
      ['feishu', 'feishu', { webhookUrl: feishu.webhookUrl('burst'), msgType: 'text' }],
      ['slack', 'slack', { webhookUrl: slack.webhookUrl }],
      ['teams', 'teams', { webhookUrl: teams.webhookUrl }],
      ['telegram', 'telegram', { botToken: TELEGRAM_TOKEN, chatId: '42', apiUrl: telegram.apiUrl, parseMode: 'text' }],
      // PagerDuty never merges (one event per alert); a smaller burst of the channel's own keeps the test short.
      ['pagerduty', 'pagerduty', { routingKey: 'R'.repeat(32), apiUrl: pagerduty.enqueueUrl }, { rateLimit: { perMinute: 120, burst: 4 } }],
    ];
    for (const [name, type, config, deliveryPolicy] of channels) {
      const created = await server.gql(
        'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }',
        { i: { name, type, config, deliveryPolicy } },
        admin,
      );
      expect(created.errors).toBeUndefined();
      channelIds[name] = created.data!.createChannel.id;
    }
    const route = await server.gql(
      'mutation($i: RouteInput!) { createRoute(input: $i) { id } }',
      { i: { name: 'storm', matchers: ['storm="yes"'], channelIds: [channelIds.storm] } },
      admin,
    );
    expect(route.errors).toBeUndefined();
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await redis.cleanup();
    await Promise.all([dingtalk, wecom, feishu, slack, teams, telegram, pagerduty].map((p) => p.stop()));
  });

  const deliveriesOf = async (channel: string) =>
    (
      await server.gql<{ deliveries: { items: Array<{ status: string; attempts: number; source: string }>; total: number } }>(
        'query($c: ID!) { deliveries(channelId: $c, limit: 500) { total items { status attempts source } } }',
        { c: channelIds[channel] },
        admin,
      )
    ).data!.deliveries;

  it('300 alerts to one DingTalk robot in a minute: within 20 messages a minute, merged in order, nothing lost, the first critical first', async () => {
    const post = (payload: Record<string, unknown>) =>
      fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
    const sentAt = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < 300; i++) {
      // Alertmanager's pace in a storm: one group after another, 200 ms apart.
      await sleep(Math.max(0, started + i * 200 - Date.now()));
      const name = `Storm${String(i).padStart(3, '0')}`;
      sentAt.set(name, Date.now());
      expect((await post(stormPayload(name, 1, { storm: 'yes', severity: 'warning' }))).status).toBe(200);
      if (i === 150) {
        sentAt.set('StormCRIT', Date.now());
        expect((await post(stormPayload('StormCRIT', 1, { storm: 'yes', severity: 'critical' }))).status).toBe(200);
      }
    }
    const pattern = /Storm(\d{3}|CRIT)/g;
    await waitFor(
      () => dingtalk.accepted.flatMap((a) => namesIn(a.payload.text.content, pattern)).length >= 301,
      'every storm alert at the robot',
      90_000,
      250,
    );

    const messages = dingtalk.accepted.map((a) => namesIn(a.payload.text.content, pattern));
    const names = messages.flat();
    // Nothing lost, nothing twice.
    expect(names).toHaveLength(301);
    expect(new Set(names).size).toBe(301);
    // Within the robot's limit in any minute, and the peer never had to refuse.
    const arrivals = dingtalk.requests.map((r) => r.receivedAt);
    expect(busiestMinute(arrivals)).toBeLessThanOrEqual(20);
    expect(dingtalk.refused).toEqual([]);
    // Merged: far fewer messages than alerts, each saying how many it carries.
    expect(messages.length).toBeLessThan(40);
    const merged = dingtalk.accepted.filter((a) => /^\d+ notifications in one message/m.test(a.payload.text.content));
    expect(merged.length).toBeGreaterThan(5);
    // In order: the warnings leave in the order they came.
    const warnings = names.filter((n) => n !== 'StormCRIT');
    expect(warnings).toEqual([...warnings].sort());
    // The critical went alone, ahead of warnings that had been waiting before it came.
    const critical = messages.find((m) => m.includes('StormCRIT'))!;
    expect(critical).toEqual(['StormCRIT']);
    const overtaken = names.slice(names.indexOf('StormCRIT') + 1).filter((n) => sentAt.get(n)! < sentAt.get('StormCRIT')!);
    expect(overtaken.length).toBeGreaterThan(0);
    const lastArrival = Math.max(...arrivals);
    console.log(
      `DingTalk storm: 301 alerts over ${((Date.now() - started) / 1000).toFixed(0)} s → ${messages.length} messages (${merged.length} merged), busiest minute ${busiestMinute(arrivals)}, ` +
        `0 refused, the critical overtook ${overtaken.length} waiting warnings, last message ${((lastArrival - started) / 1000).toFixed(1)} s after the first alert`,
    );
    const deliveries = await deliveriesOf('storm');
    expect(deliveries.total).toBe(301);
    expect(deliveries.items.every((d) => d.status === 'DELIVERED')).toBe(true);
  }, 150_000);

  it.each([
    ['wecom', 25],
    ['feishu', 12],
    ['slack', 10],
    ['teams', 10],
    ['telegram', 10],
    ['pagerduty', 8],
  ])(
    '%s: a burst of %i messages at once is paced and merged by the type limit; the peer refuses none',
    async (channel, count) => {
      const { deliveries } = server.handle.services;
      const burst = Array.from({ length: count }, (_, i) =>
        alertGroup([alert({ labels: { alertname: `Burst${channel}${String(i).padStart(2, '0')}`, severity: 'warning' } })]),
      );
      await Promise.all(
        burst.map((message) =>
          RequestContext.create(server.handle.services.storage.orm.em, () =>
            deliveries.deliver(channelIds[channel]!, message, { source: 'api' }),
          ),
        ),
      );
      await waitFor(
        async () => (await deliveriesOf(channel)).items.every((d) => d.status === 'DELIVERED'),
        `every ${channel} delivery delivered`,
        40_000,
        250,
      );
      const attempts = await server.gql<{ deliveries: { items: Array<{ attemptLog: Array<{ ok: boolean; carried: number }> }> } }>(
        'query($c: ID!) { deliveries(channelId: $c, limit: 100) { items { attemptLog { ok carried } } } }',
        { c: channelIds[channel] },
        admin,
      );
      const tries = attempts.data!.deliveries.items.flatMap((d) => d.attemptLog);
      expect(tries).toHaveLength(count);
      expect(tries.every((a) => a.ok)).toBe(true);
      if (channel === 'pagerduty') expect(tries.every((a) => a.carried === 1)).toBe(true);
      else expect(tries.some((a) => a.carried > 1)).toBe(true);
    },
    60_000,
  );
});
