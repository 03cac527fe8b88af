import { createChannel, createRoute } from '../../support/fixtures';
import { RequestContext } from '@mikro-orm/core';
import { alert, alertGroup } from '../../support/alerts';
import { startTestServer, type TestServer } from '../../support/app';
import { DingTalkPeer } from '../../support/peers/dingtalk-peer';
import { FeishuPeer } from '../../support/peers/feishu-peer';
import { TelegramPeer } from '../../support/peers/telegram-peer';
import { SlackPeer } from '../../support/peers/slack-peer';
import { WeComPeer } from '../../support/peers/wecom-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';

/**
 * A label or annotation is data, never markup: through the real delivery path, an alert whose
 * values carry a channel's mention syntax reaches the peer with that syntax made inert, and the
 * text still reads the same.
 */
describe('labels cannot mention people or restyle messages', () => {
  let db: TestDatabase;
  let server: TestServer;
  const slack = new SlackPeer();
  const wecom = new WeComPeer(['wecom-key']);
  const feishu = new FeishuPeer([{ token: 'feishu-token' }]);
  const ids: Record<string, string> = {};
  const hostile = alertGroup([
    alert({
      labels: { alertname: 'DiskFull', team: '<!channel>', owner: '<@all>' },
      annotations: { summary: 'cleanup needed <at id=all></at> <font color="warning">now</font> <!here> & <https://evil.example|click>' },
    }),
  ]);

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([slack.start(), wecom.start(), feishu.start()]);
    server = await startTestServer({ DATABASE_URL: db.url });
    const admin = await server.issueToken('admin');
    for (const [name, type, config] of [
      ['slack', 'slack', { webhookUrl: slack.webhookUrl }],
      ['wecom', 'wecom', { webhookUrl: wecom.webhookUrl('wecom-key') }],
      ['feishu', 'feishu', { webhookUrl: feishu.webhookUrl('feishu-token') }],
    ] as const) {
      const madeId = await createChannel(server, { name, type, config }, admin);
      ids[name] = madeId;
    }
    const { deliveries, storage } = server.handle.services;
    for (const name of Object.keys(ids)) {
      await RequestContext.create(storage.orm.em, () =>
        deliveries.deliver(ids[name], hostile, { source: 'test', idempotencyKey: `hostile-${name}` }),
      );
    }
    await waitFor(() => slack.accepted.length > 0 && wecom.accepted.length > 0 && feishu.accepted.length > 0, 'all three messages');
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([slack.stop(), wecom.stop(), feishu.stop()]);
    await db?.drop();
  });

  it('Slack: values are escaped as Slack asks (&amp; &lt; &gt;), so <!channel> and <!here> are text', () => {
    const text = JSON.stringify(slack.accepted[0].blocks.filter((b: { type: string }) => b.type === 'section'));
    expect(text).not.toMatch(/<!channel>|<!here>|<https:\/\/evil/);
    expect(text).toContain('team=&lt;!channel&gt;');
    expect(text).toContain('&lt;!here&gt; &amp; &lt;https://evil.example|click&gt;');
    expect(slack.accepted[0].blocks[0].text.text).toBe('[FIRING:1] DiskFull (critical)');
  });

  it('WeCom: <@all> and <font> in values start no mention or tag, and read the same', () => {
    const content: string = wecom.accepted[0].payload.markdown.content;
    expect(content).not.toMatch(/<@|<font|<at/);
    expect(content.replace(/\u200b/g, '')).toContain('owner=<@all>');
    expect(content.replace(/\u200b/g, '')).toContain('<font color="warning">now</font>');
  });

  it('Feishu: <at id=all> in values mentions nobody', () => {
    const card = JSON.stringify(feishu.accepted[0].payload.card);
    expect(card).not.toMatch(/<at |<font/);
    expect(card.replace(/\\u200b|\u200b/g, '')).toContain('<at id=all></at>');
  });
});

/**
 * Values as careless exporters write them: control characters (a NUL, a bell, an escape sequence
 * from a terminal) and an annotation of 100,000 characters (a stack trace pasted whole). Every
 * robot still gets a message it accepts, readable, with the others' alerts not crowded out.
 */
describe('control characters and runaway values', () => {
  const TOKEN = '123456789:AAF0123456789abcdefghijklmnopqrstuv';
  let db: TestDatabase;
  let server: TestServer;
  const dingtalk = new DingTalkPeer([{ accessToken: 'values' }]);
  const telegram = new TelegramPeer(TOKEN, ['42']);
  const wecom = new WeComPeer(['values']);
  const ids: Record<string, string> = {};
  /** A webhook as Alertmanager would forward what an exporter wrote; the gateway stores NUL as U+FFFD. */
  const careless = {
    version: '4',
    groupKey: '{}:{suite="values"}',
    status: 'firing',
    receiver: 'alertagent',
    groupLabels: { suite: 'values' },
    commonLabels: { suite: 'values', severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'Crash\u0000Loop', suite: 'values', pod: 'api-\u001b[31m7f9\u001b[0m', severity: 'critical' },
        annotations: { description: `trace:\n${'at frame\u0007 '.repeat(10_000)}` },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: 'c0ffee0000000001',
      },
      {
        status: 'firing',
        labels: { alertname: 'SecondAlert', suite: 'values', severity: 'critical' },
        annotations: { summary: 'still visible after the long one' },
        startsAt: new Date().toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: 'c0ffee0000000002',
      },
    ],
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await Promise.all([dingtalk.start(), telegram.start(), wecom.start()]);
    server = await startTestServer({ DATABASE_URL: db.url });
    const admin = await server.issueToken('admin');
    for (const [name, type, config] of [
      ['dingtalk', 'dingtalk', { webhookUrl: dingtalk.webhookUrl('values') }],
      ['telegram', 'telegram', { botToken: TOKEN, chatId: '42', apiUrl: telegram.apiUrl }],
      ['wecom', 'wecom', { webhookUrl: wecom.webhookUrl('values') }],
    ] as const) {
      ids[name] = await createChannel(server, { name, type, config }, admin);
    }
    await createRoute(server, { name: 'values', matchers: ['suite="values"'], channelIds: Object.values(ids) }, admin);
    const answer = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(careless),
    });
    expect(answer.status).toBe(200);
    await waitFor(() => dingtalk.accepted.length > 0 && telegram.accepted.length > 0 && wecom.accepted.length > 0, 'the three messages');
  });

  afterAll(async () => {
    await server?.stop();
    await Promise.all([dingtalk.stop(), telegram.stop(), wecom.stop()]);
    await db?.drop();
  });

  it.each(['dingtalk', 'telegram', 'wecom'])(
    '%s: delivered, without control characters, the long value cut and the next alert still there',
    (name) => {
      const sent =
        name === 'dingtalk'
          ? dingtalk.accepted[0]!.payload.markdown.text
          : name === 'telegram'
            ? telegram.accepted[0]!.payload.text
            : wecom.accepted[0]!.payload.markdown.content;
      expect(sent).not.toMatch(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/);
      expect(sent).toContain('Crash\ufffdLoop');
      expect(sent).toContain('api-[31m7f9[0m');
      // The stored alert keeps every character; what the robot shows is cut, and says by how much.
      if (name === 'dingtalk') expect(sent).toMatch(/more characters\)/);
      expect(sent).toContain('SecondAlert');
    },
  );
});
