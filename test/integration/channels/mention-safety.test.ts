import { RequestContext } from '@mikro-orm/core';
import { alert, alertGroup } from '../../support/alerts';
import { startTestServer, type TestServer } from '../../support/app';
import { FeishuPeer } from '../../support/peers/feishu-peer';
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
      const made = await server.gql('mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }', { i: { name, type, config } }, admin);
      ids[name] = made.data!.createChannel.id;
    }
    const { deliveries, storage } = server.handle.services;
    for (const name of Object.keys(ids)) {
      await RequestContext.create(storage.orm.em, () => deliveries.deliver(ids[name], hostile, { source: 'test', idempotencyKey: `hostile-${name}` }));
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
