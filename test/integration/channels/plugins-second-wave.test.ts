import { testMessage } from '../../../src/services/channels/message';
import { feishuPlugin } from '../../../src/services/channels/plugins/feishu.plugin';
import { pagerDutyPlugin } from '../../../src/services/channels/plugins/pagerduty.plugin';
import { teamsPlugin } from '../../../src/services/channels/plugins/teams.plugin';
import { fitTelegramHtml, telegramPlugin, visibleText } from '../../../src/services/channels/plugins/telegram.plugin';
import { sendThroughPlugin } from '../../support/plugin-send';
import { alert, alertGroup } from '../../support/alerts';
import { FeishuPeer } from '../../support/peers/feishu-peer';
import { PagerDutyPeer } from '../../support/peers/pagerduty-peer';
import { TeamsPeer } from '../../support/peers/teams-peer';
import { parseTelegramHtml, TelegramPeer } from '../../support/peers/telegram-peer';

const send = sendThroughPlugin;
const storm = (n: number) =>
  alertGroup(
    Array.from({ length: n }, (_, i) =>
      alert({
        labels: { instance: `node-${i}`, severity: 'critical' },
        annotations: { summary: `磁盘使用率过高 ${'详'.repeat(200)} ${i}` },
      }),
    ),
  );
/** Labels and annotations as someone hostile (or careless) writes them. */
const hostile = alert({
  labels: { alertname: 'Disk<b>Full</b>', team: 'a&b', instance: '<script>x</script>' },
  annotations: { summary: 'use > 95% & rising <at id=all></at> *bold* [x](http://evil)' },
});

describe('Feishu / Lark bot', () => {
  const peer = new FeishuPeer([
    { token: 'signed', secret: 'feishu-secret-0123' },
    { token: 'keyword', keywords: ['告警'] },
    { token: 'plain' },
    { token: 'busy' },
  ]);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('signs the body so the bot verifies it, and sends an interactive card coloured by status', async () => {
    expect(
      await send(feishuPlugin, { webhookUrl: peer.webhookUrl('signed'), secret: 'feishu-secret-0123' }, alertGroup([alert()])),
    ).toMatchObject({ ok: true, status: 200 });
    const { payload } = peer.accepted.at(-1)!;
    expect(payload.msg_type).toBe('interactive');
    expect(payload.card.header).toEqual({ title: { tag: 'plain_text', content: '[FIRING:1] HighLatency (critical)' }, template: 'red' });
    expect(payload.card.elements[0].content).toContain('p99 latency above 2s');
    expect(Number(payload.timestamp)).toBeCloseTo(Date.now() / 1000, -1);
  });

  it('reports a wrong secret (19021) as permanent with the code, and the rate limit (11232) as retryable', async () => {
    expect(await send(feishuPlugin, { webhookUrl: peer.webhookUrl('signed'), secret: 'wrong' }, alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringMatching(/^Feishu code 19021: sign match fail/),
    });
    const outcomes = [];
    for (let i = 0; i < 6; i++)
      outcomes.push(await send(feishuPlugin, { webhookUrl: peer.webhookUrl('busy'), msgType: 'text' }, alertGroup([alert()])));
    expect(outcomes.slice(0, 5).every((o) => o.ok)).toBe(true);
    expect(outcomes[5]).toMatchObject({ ok: false, retryable: true, error: expect.stringContaining('Feishu code 11232') });
  });

  it('adds the keyword a keyword-protected bot needs, and keeps a storm within 20 KB', async () => {
    expect(await send(feishuPlugin, { webhookUrl: peer.webhookUrl('keyword'), keyword: '告警' }, alertGroup([alert()]))).toMatchObject({
      ok: true,
    });
    expect(peer.accepted.at(-1)!.payload.card.header.title.content).toMatch(/^告警 /);
    expect(await send(feishuPlugin, { webhookUrl: peer.webhookUrl('plain') }, storm(200))).toMatchObject({ ok: true });
    expect(Buffer.byteLength(JSON.stringify(peer.accepted.at(-1)!.payload))).toBeLessThanOrEqual(20 * 1024);
  });

  it('refuses a URL that is not a bot hook, naming the field', () => {
    expect(feishuPlugin.schema.safeParse({ webhookUrl: 'https://open.feishu.cn/open-apis/im/v1/messages' }).error?.issues[0]).toMatchObject(
      { path: ['webhookUrl'], message: 'expected …/open-apis/bot/v2/hook/<token>' },
    );
  });
});

describe('Telegram bot', () => {
  const token = '123456789:AAF0123456789abcdefghijklmnopqrstuv';
  const peer = new TelegramPeer(token, ['-1001234567890', '42']);
  const config = () => ({ botToken: token, chatId: '-1001234567890', apiUrl: peer.apiUrl });
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('sends HTML the Bot API parses, with every label and annotation escaped', async () => {
    expect(await send(telegramPlugin, config(), alertGroup([hostile]))).toMatchObject({ ok: true, status: 200 });
    const { payload } = peer.accepted.at(-1)!;
    expect(payload.parse_mode).toBe('HTML');
    const shown = visibleText(payload.text);
    expect(shown).toContain('Disk<b>Full</b>');
    expect(shown).toContain('use > 95% & rising <at id=all></at>');
    expect(shown).toContain('instance=<script>x</script>');
    expect(payload.link_preview_options).toEqual({ is_disabled: true });
  });

  it('keeps a storm within 4,096 visible characters without splitting a tag or an entity', async () => {
    expect(await send(telegramPlugin, config(), storm(60))).toMatchObject({ ok: true });
    const { text } = peer.accepted.at(-1)!.payload;
    const parsed = parseTelegramHtml(text);
    expect('text' in parsed && Array.from(parsed.text).length).toBeLessThanOrEqual(4096);
    expect(text.endsWith('…(truncated)')).toBe(true);
    const long = fitTelegramHtml(`<b>t</b>\n${'&amp;'.repeat(5000)}`);
    expect(parseTelegramHtml(long)).toEqual({ text: expect.stringMatching(/^t\n&+\n…\(truncated\)$/) });
  });

  it('falls back to plain text when a custom template is HTML Telegram cannot parse, so the alert still goes', async () => {
    const outcome = await send(telegramPlugin, config(), alertGroup([alert()]), 'Broken <br> markup for {{ alertname }}');
    expect(outcome).toMatchObject({
      ok: true,
      peerAnswer: expect.stringContaining(
        "sent as plain text: Telegram could not parse the HTML (Telegram answered 400: Bad Request: can't parse entities",
      ),
    });
    expect(peer.accepted.at(-1)!.payload.parse_mode).toBeUndefined();
  });

  it('honours 429 retry_after, and reports an unknown chat and a bad token as permanent', async () => {
    peer.throttleNext = 1;
    expect(await send(telegramPlugin, config(), alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: true,
      retryAfterMs: 3000,
      status: 429,
    });
    expect(await send(telegramPlugin, { ...config(), chatId: '7' }, alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: false,
      error: 'Telegram answered 400: Bad Request: chat not found',
    });
    expect(
      await send(telegramPlugin, { ...config(), botToken: '123456789:AAFxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx' }, alertGroup([alert()])),
    ).toMatchObject({ ok: false, retryable: false, error: 'Telegram answered 401: Unauthorized (check the bot token)' });
  });

  it('refuses a token or chat id in the wrong shape, naming the field', () => {
    const issues = telegramPlugin.schema.safeParse({ botToken: 'abc', chatId: 'general' }).error!.issues;
    expect(issues.map((i) => i.path[0])).toEqual(['botToken', 'chatId']);
  });
});

describe('PagerDuty Events API v2', () => {
  const key = 'R0123456789abcdef0123456789abcde';
  const peer = new PagerDutyPeer([key]);
  const config = () => ({ routingKey: key, apiUrl: peer.enqueueUrl });
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('triggers one incident per alert keyed by fingerprint, and resolves the same incident', async () => {
    const firing = alertGroup([
      alert({ fingerprint: 'aaaa000000000001' }),
      alert({ fingerprint: 'aaaa000000000002', labels: { severity: 'warning', instance: 'db-2' } }),
    ]);
    expect(await send(pagerDutyPlugin, config(), firing)).toMatchObject({ ok: true, status: 202 });
    expect(peer.events.slice(-2).map((e) => [e.event_action, e.dedup_key, e.payload.severity])).toEqual([
      ['trigger', 'aaaa000000000001', 'critical'],
      ['trigger', 'aaaa000000000002', 'warning'],
    ]);
    expect(peer.events.at(-1).payload).toMatchObject({
      summary: 'HighLatency: p99 latency above 2s',
      source: 'db-2',
      class: 'HighLatency',
    });
    const resolved = alertGroup([alert({ fingerprint: 'aaaa000000000001', status: 'resolved' })], 'resolved');
    expect(await send(pagerDutyPlugin, config(), resolved)).toMatchObject({ ok: true });
    expect(peer.incidents.get('aaaa000000000001')).toBe('resolved');
    expect(peer.incidents.get('aaaa000000000002')).toBe('triggered');
  });

  it('keeps the summary within 1,024 characters and maps unknown severities to the default', async () => {
    const long = alertGroup([
      alert({ fingerprint: 'bbbb000000000001', labels: { severity: 'page' }, annotations: { summary: 'x'.repeat(5000) } }),
    ]);
    expect(await send(pagerDutyPlugin, { ...config(), defaultSeverity: 'critical' }, long)).toMatchObject({ ok: true });
    expect(peer.events.at(-1).payload.summary).toHaveLength(1024);
    expect(peer.events.at(-1).payload.severity).toBe('critical');
  });

  it('reports an invalid event (400) as permanent with the reasons, and an outage as retryable', async () => {
    expect(
      await send(pagerDutyPlugin, { ...config(), routingKey: 'Z0123456789abcdef0123456789abcde' }, alertGroup([alert()])),
    ).toMatchObject({ ok: false, retryable: false, error: expect.stringContaining('Invalid routing key') });
    peer.failWith = 503;
    expect(await send(pagerDutyPlugin, config(), alertGroup([alert()]))).toMatchObject({ ok: false, retryable: true, status: 503 });
    peer.failWith = null;
  });

  it('a test message triggers an info event and resolves it at once', async () => {
    expect(await send(pagerDutyPlugin, config(), testMessage('pager'))).toMatchObject({ ok: true });
    const [trigger, resolve] = peer.events.slice(-2);
    expect([
      trigger.event_action,
      trigger.payload.severity,
      trigger.payload.summary.startsWith('[TEST] '),
      resolve.event_action,
      resolve.dedup_key,
    ]).toEqual(['trigger', 'info', true, 'resolve', trigger.dedup_key]);
  });
});

describe('Microsoft Teams (Workflows)', () => {
  const peer = new TeamsPeer();
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('posts an Adaptive Card the workflow accepts, with mentions and a link to Alertmanager', async () => {
    expect(await send(teamsPlugin, { webhookUrl: peer.webhookUrl, mentions: ['oncall@example.com'] }, alertGroup([alert()]))).toMatchObject(
      { ok: true, status: 202 },
    );
    const card = peer.accepted.at(-1)!.attachments[0].content;
    expect(card.body[0]).toMatchObject({ type: 'TextBlock', text: '[FIRING:1] HighLatency (critical)', color: 'Attention' });
    expect(card.body[2].text).toBe('<at>oncall@example.com</at>');
    expect(card.msteams.entities[0]).toEqual({
      type: 'mention',
      text: '<at>oncall@example.com</at>',
      mentioned: { id: 'oncall@example.com', name: 'oncall@example.com' },
    });
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Open Alertmanager', url: 'http://alertmanager:9093' }]);
  });

  it('keeps a storm under the 28 KB limit, and reports a wrong signature as permanent', async () => {
    expect(await send(teamsPlugin, { webhookUrl: peer.webhookUrl }, storm(300))).toMatchObject({ ok: true });
    expect(Buffer.byteLength(JSON.stringify(peer.accepted.at(-1)))).toBeLessThanOrEqual(28 * 1024);
    expect(await send(teamsPlugin, { webhookUrl: peer.webhookUrl.replace(/sig=[^&]+/, 'sig=wrong') }, alertGroup([alert()]))).toMatchObject(
      { ok: false, retryable: false, status: 401 },
    );
  });
});
