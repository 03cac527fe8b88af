import selfsigned from 'selfsigned';
import { z } from 'zod';
import type { SendOutcome } from '../../../src/services/channels/channel-plugin';
import { dingTalkPlugin } from '../../../src/services/channels/plugins/dingtalk.plugin';
import { emailPlugin } from '../../../src/services/channels/plugins/email.plugin';
import { slackPlugin } from '../../../src/services/channels/plugins/slack.plugin';
import { webhookPlugin } from '../../../src/services/channels/plugins/webhook.plugin';
import { weComPlugin } from '../../../src/services/channels/plugins/wecom.plugin';
import { CHANNEL_PLUGINS } from '../../../src/services/channels/registry';
import { parseTemplate, renderTemplates } from '../../../src/services/channels/template-engine';
import { TRUNCATION_MARKER } from '../../../src/services/channels/text-budget';
import { loopbackPeers, sendThroughPlugin } from '../../support/plugin-send';
import { alert, alertGroup } from '../../support/alerts';
import { freePort } from '../../support/cli-process';
import { DingTalkPeer } from '../../support/peers/dingtalk-peer';
import { HttpPeer } from '../../support/peers/http-peer';
import { SlackPeer } from '../../support/peers/slack-peer';
import { SmtpPeer } from '../../support/peers/smtp-peer';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { WeComPeer } from '../../support/peers/wecom-peer';

// Plugins against local peers: the embedded mode's policy (loopback allowed).
const peers = loopbackPeers;
const send = sendThroughPlugin;

const storm = (n: number) =>
  alertGroup(
    Array.from({ length: n }, (_, i) =>
      alert({
        labels: { instance: `node-${i}`, severity: 'critical' },
        annotations: { summary: `磁盘使用率过高 ${'详'.repeat(80)} ${i}` },
      }),
    ),
  );

describe('every channel plugin (contract)', () => {
  it.each(CHANNEL_PLUGINS.map((p) => [p.type, p] as const))(
    '%s: declares secrets that exist in its schema and templates that parse',
    (_type, plugin) => {
      const shape = (plugin.schema as unknown as z.ZodObject).shape;
      for (const field of plugin.secretFields) expect(Object.keys(shape)).toContain(field);
      expect(() => parseTemplate(plugin.defaultTemplates.title)).not.toThrow();
      expect(() => parseTemplate(plugin.defaultTemplates.body)).not.toThrow();
      expect(plugin.schema.safeParse({}).success).toBe(false);
      expect(z.toJSONSchema(plugin.schema, { io: 'input' })).toHaveProperty('properties');
    },
  );
});

describe('DingTalk robot', () => {
  const peer = new DingTalkPeer([
    { accessToken: 'signed', secret: 'SEC0123456789abcdef' },
    { accessToken: 'keyword', keywords: ['告警'] },
    { accessToken: 'plain' },
    { accessToken: 'busy' },
  ]);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('signs the request so the peer verifies it, and mentions people by phone in text and `at`', async () => {
    const outcome = await send(
      dingTalkPlugin,
      { webhookUrl: peer.webhookUrl('signed'), secret: 'SEC0123456789abcdef', atMobiles: ['13800000000'] },
      alertGroup([alert()]),
    );
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    const { payload } = peer.accepted.at(-1)!;
    expect(payload.msgtype).toBe('markdown');
    expect(payload.markdown.title).toBe('[FIRING:1] HighLatency (critical)');
    expect(payload.markdown.text).toContain('p99 latency above 2s');
    expect(payload.markdown.text).toContain('@13800000000');
    expect(payload.at).toEqual({ atMobiles: ['13800000000'], atUserIds: [], isAtAll: false });
  });

  it('reports a signature the peer refuses as a permanent failure with its errcode', async () => {
    const outcome = await send(dingTalkPlugin, { webhookUrl: peer.webhookUrl('signed'), secret: 'SECwrong' }, alertGroup([alert()]));
    expect(outcome).toMatchObject({ ok: false, retryable: false, error: 'DingTalk errcode 310000: sign not match' });
  });

  it('adds the robot keyword when the message lacks it', async () => {
    const outcome = await send(dingTalkPlugin, { webhookUrl: peer.webhookUrl('keyword'), keyword: '告警' }, alertGroup([alert()]));
    expect(outcome.ok).toBe(true);
    expect(peer.accepted.at(-1)!.payload.markdown.title).toMatch(/^告警 /);
  });

  it('summarises a storm: the first 20 alerts and a count of the rest, in one message', async () => {
    const outcome = await send(dingTalkPlugin, { webhookUrl: peer.webhookUrl('plain') }, storm(300));
    expect(outcome.ok).toBe(true);
    expect(peer.accepted.at(-1)!.payload.markdown.text).toContain('…and 280 more');
  });

  it('cuts oversized text to fit 20,000 bytes, with a marker, instead of being refused', async () => {
    const huge = alertGroup(
      Array.from({ length: 10 }, (_, i) => alert({ labels: { instance: `n${i}` }, annotations: { description: '日志'.repeat(2_000) } })),
    );
    const outcome = await send(dingTalkPlugin, { webhookUrl: peer.webhookUrl('plain') }, huge);
    expect(outcome.ok).toBe(true);
    expect(Buffer.byteLength(peer.requests.at(-1)!.body)).toBeLessThanOrEqual(20_000);
    expect(peer.accepted.at(-1)!.payload.markdown.text).toContain(TRUNCATION_MARKER.trim());
  });

  it('treats the 21st message in a minute (errcode 130101) as retryable', async () => {
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 21; i += 1)
      outcomes.push(await send(dingTalkPlugin, { webhookUrl: peer.webhookUrl('busy'), msgType: 'text' }, alertGroup([alert()])));
    expect(outcomes.slice(0, 20).every((o) => o.ok)).toBe(true);
    expect(outcomes[20]).toMatchObject({
      ok: false,
      retryable: true,
      error: 'DingTalk errcode 130101: send too fast, exceed 20 times per minute',
    });
  });

  it('sends an actionCard linking to Alertmanager', async () => {
    const outcome = await send(dingTalkPlugin, { webhookUrl: peer.webhookUrl('plain'), msgType: 'actionCard' }, alertGroup([alert()]));
    expect(outcome.ok).toBe(true);
    expect(peer.accepted.at(-1)!.payload).toMatchObject({
      msgtype: 'actionCard',
      actionCard: { title: '[FIRING:1] HighLatency (critical)', singleURL: 'http://alertmanager:9093' },
    });
  });

  it('refuses a config without access_token, naming the field', () => {
    const result = dingTalkPlugin.schema.safeParse({ webhookUrl: 'https://oapi.dingtalk.com/robot/send' });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]).toMatchObject({ path: ['webhookUrl'], message: 'expected the URL to carry access_token=…' });
  });
});

describe('WeCom robot', () => {
  const peer = new WeComPeer(['k1', 'k2', 'busy']);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('keeps markdown within 4,096 UTF-8 bytes and mentions users in the content', async () => {
    const outcome = await send(weComPlugin, { webhookUrl: peer.webhookUrl('k1'), mentionedList: ['zhangsan'] }, storm(100));
    expect(outcome.ok).toBe(true);
    const content: string = peer.accepted.at(-1)!.payload.markdown.content;
    expect(Buffer.byteLength(content)).toBeLessThanOrEqual(4_096);
    expect(content).toContain(TRUNCATION_MARKER.trim());
    expect(content.endsWith('<@zhangsan>')).toBe(true);
  });

  it('sends text with mention lists within 2,048 bytes', async () => {
    const outcome = await send(
      weComPlugin,
      { webhookUrl: peer.webhookUrl('k2'), msgType: 'text', mentionedList: ['@all'], mentionedMobileList: ['13800000000'] },
      storm(50),
    );
    expect(outcome.ok).toBe(true);
    const { text } = peer.accepted.at(-1)!.payload;
    expect(Buffer.byteLength(text.content)).toBeLessThanOrEqual(2_048);
    expect(text.mentioned_list).toEqual(['@all']);
    expect(text.mentioned_mobile_list).toEqual(['13800000000']);
  });

  it('reports an invalid key as permanent and the rate limit (45009) as retryable', async () => {
    expect(await send(weComPlugin, { webhookUrl: peer.webhookUrl('nope') }, alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: false,
    });
    const outcomes: SendOutcome[] = [];
    for (let i = 0; i < 21; i += 1) outcomes.push(await send(weComPlugin, { webhookUrl: peer.webhookUrl('busy') }, alertGroup([alert()])));
    expect(outcomes[20]).toMatchObject({ ok: false, retryable: true, error: 'WeCom errcode 45009: api freq out of limit' });
  });
});

describe('Slack incoming webhook', () => {
  const peer = new SlackPeer();
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());
  beforeEach(() => new Promise((r) => setTimeout(r, 1_100)));

  it('sends Block Kit with a header, sections and a text fallback', async () => {
    const outcome = await send(slackPlugin, { webhookUrl: peer.webhookUrl }, alertGroup([alert(), alert({ labels: { instance: 'b' } })]));
    expect(outcome).toMatchObject({ ok: true, status: 200, peerAnswer: 'ok' });
    const payload = peer.accepted.at(-1);
    expect(payload.blocks[0]).toEqual({
      type: 'header',
      text: { type: 'plain_text', text: '[FIRING:2] HighLatency (critical)', emoji: true },
    });
    expect(payload.blocks[1].text.text).toContain('*FIRING* HighLatency');
    expect(payload.text).toContain('[FIRING:2] HighLatency');
  });

  it("honours Slack's 429 with Retry-After as a retryable failure with that delay", async () => {
    peer.throttleNext = 1;
    peer.retryAfterSeconds = 7;
    const outcome = await send(slackPlugin, { webhookUrl: peer.webhookUrl }, alertGroup([alert()]));
    expect(outcome).toMatchObject({ ok: false, retryable: true, status: 429, retryAfterMs: 7_000 });
  });

  it('keeps a storm within 50 blocks of at most 3,000 characters', async () => {
    const outcome = await send(slackPlugin, { webhookUrl: peer.webhookUrl }, storm(400));
    expect(outcome.ok).toBe(true);
    expect(peer.accepted.at(-1).blocks.length).toBeLessThanOrEqual(50);
  });
});

describe('generic webhook', () => {
  const secret = 'whsec-0123456789abcdef';
  const peer = new WebhookPeer(secret);
  beforeAll(() => peer.start());
  afterAll(() => peer.stop());
  afterEach(() => (peer.failWith = null));

  it('posts the Alertmanager v4 body, signed, with custom headers and the idempotency key', async () => {
    const outcome = await send(
      webhookPlugin,
      { url: `${peer.baseUrl}/hook`, signingSecret: secret, headers: { 'X-Team': 'sre' } },
      alertGroup([alert()]),
    );
    expect(outcome).toMatchObject({ ok: true, status: 200 });
    const { payload, headers } = peer.accepted.at(-1)!;
    expect(payload).toMatchObject({ version: '4', status: 'firing', receiver: 'alertagent', groupKey: '{}:{alertname="HighLatency"}' });
    expect(payload.alerts[0]).toMatchObject({ fingerprint: 'a1b2c3d4e5f6a7b8', endsAt: '0001-01-01T00:00:00Z' });
    expect(headers['x-team']).toBe('sre');
    expect(headers['idempotency-key']).toMatch(/^delivery-\d+$/);
  });

  it('is refused by the receiver when signed with another secret (permanent)', async () => {
    const outcome = await send(
      webhookPlugin,
      { url: `${peer.baseUrl}/hook`, signingSecret: 'another-secret-entirely' },
      alertGroup([alert()]),
    );
    expect(outcome).toMatchObject({ ok: false, retryable: false, status: 401 });
  });

  it('classifies 503 as retryable and 400 as permanent, keeping the peer answer', async () => {
    peer.failWith = 503;
    expect(await send(webhookPlugin, { url: `${peer.baseUrl}/hook`, signingSecret: secret }, alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: true,
      status: 503,
      peerAnswer: '{"error":"temporarily unavailable"}',
    });
    peer.failWith = 400;
    expect(await send(webhookPlugin, { url: `${peer.baseUrl}/hook`, signingSecret: secret }, alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: false,
    });
  });

  it('reports a refused connection and a timeout as retryable, saying which', async () => {
    const refused = await send(webhookPlugin, { url: `http://127.0.0.1:${await freePort()}/hook` }, alertGroup([alert()]));
    expect(refused).toMatchObject({ ok: false, retryable: true });
    expect((refused as { error: string }).error).toMatch(/^ECONNREFUSED/);

    const slow = new HttpPeer(() => new Promise((r) => setTimeout(() => r({ status: 200 }), 2_000)));
    const url = await slow.start();
    const timedOut = await send(webhookPlugin, { url, timeoutMs: 200 }, alertGroup([alert()]));
    await slow.stop();
    expect(timedOut).toMatchObject({ ok: false, retryable: true, error: 'no answer within 200 ms' });
  });

  it('sends a custom JSON body from the body template, and refuses one that is not JSON', async () => {
    const plugin = webhookPlugin;
    const message = alertGroup([alert()]);
    const config = plugin.schema.parse({ url: `${peer.baseUrl}/hook`, signingSecret: secret, bodyFormat: 'template' });
    const context = { idempotencyKey: 'custom-body-1', peers, attempt: 1, now: new Date() };
    const good = await renderTemplates({ title: 't', body: '{"text": "{{ alertname }} is {{ status }}", "count": {{ count }}}' }, message);
    expect(await plugin.send(config, good, message, context)).toMatchObject({ ok: true });
    expect(peer.accepted.at(-1)!.payload).toEqual({ text: 'HighLatency is firing', count: 1 });
    const bad = await renderTemplates({ title: 't', body: 'not json {{ alertname }}' }, message);
    expect(await plugin.send(config, bad, message, { ...context, idempotencyKey: 'custom-body-2' })).toMatchObject({
      ok: false,
      retryable: false,
      error: expect.stringMatching(/^body template did not render to JSON/),
    });
  });

  it('refuses headers AlertAgent sets itself', () => {
    const result = webhookPlugin.schema.safeParse({ url: 'http://x/', headers: { 'Content-Type': 'text/plain' } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0].path).toEqual(['headers']);
  });
});

describe('email over SMTP', () => {
  const smtp = new SmtpPeer();
  beforeAll(() => smtp.start());
  afterAll(() => smtp.stop());
  afterEach(() => (smtp.rejectRecipientsWith = null));

  const config = () => ({
    host: '127.0.0.1',
    port: smtp.port,
    security: 'none',
    username: smtp.credentials.user,
    password: smtp.credentials.pass,
    from: 'AlertAgent <alerts@example.org>',
    to: ['oncall@example.org'],
  });

  it('delivers a message with the subject, a plain-text part and an HTML part', async () => {
    const outcome = await send(emailPlugin, config(), alertGroup([alert()]));
    expect(outcome.ok).toBe(true);
    const mail = smtp.messages.at(-1)!;
    expect(mail.subject).toBe('[FIRING:1] HighLatency (critical)');
    expect(mail.text).toContain('p99 latency above 2s');
    expect(mail.html).toContain('<b>FIRING</b> HighLatency');
    expect((mail.to as { text: string }).text).toBe('oncall@example.org');
  });

  it('escapes alert text in the HTML part', async () => {
    await send(emailPlugin, config(), alertGroup([alert({ annotations: { summary: '<script>alert(1)</script>' } })]));
    expect(smtp.messages.at(-1)!.html).toContain('&lt;script&gt;');
  });

  it('renders resolved alerts as resolved', async () => {
    await send(emailPlugin, config(), alertGroup([alert({ status: 'resolved', endsAt: '2026-11-25T10:30:00Z' })], 'resolved'));
    expect(smtp.messages.at(-1)!.subject).toBe('[RESOLVED] HighLatency (critical)');
  });

  it('reports wrong credentials as permanent, a 451 as retryable and a 550 as permanent', async () => {
    expect(await send(emailPlugin, { ...config(), password: 'wrong' }, alertGroup([alert()]))).toMatchObject({
      ok: false,
      retryable: false,
      status: 535,
    });
    smtp.rejectRecipientsWith = 451;
    expect(await send(emailPlugin, config(), alertGroup([alert()]))).toMatchObject({ ok: false, retryable: true, status: 451 });
    smtp.rejectRecipientsWith = 550;
    expect(await send(emailPlugin, config(), alertGroup([alert()]))).toMatchObject({ ok: false, retryable: false, status: 550 });
  });
});

describe('email over TLS', () => {
  let starttls: SmtpPeer;
  let implicit: SmtpPeer;

  beforeAll(async () => {
    const pems = await selfsigned.generate([{ name: 'commonName', value: 'localhost' }], { keySize: 2048 });
    starttls = new SmtpPeer(undefined, { key: pems.private, cert: pems.cert });
    implicit = new SmtpPeer(undefined, { key: pems.private, cert: pems.cert, implicitTls: true });
    await starttls.start();
    await implicit.start();
  });
  afterAll(async () => {
    await starttls.stop();
    await implicit.stop();
  });

  const tlsConfig = (peer: SmtpPeer, security: string, allowInvalidCertificates: boolean) => ({
    host: '127.0.0.1',
    port: peer.port,
    security,
    username: peer.credentials.user,
    password: peer.credentials.pass,
    from: 'alerts@example.org',
    to: ['oncall@example.org'],
    allowInvalidCertificates,
  });

  it('upgrades with STARTTLS before authenticating', async () => {
    expect(await send(emailPlugin, tlsConfig(starttls, 'starttls', true), alertGroup([alert()]))).toMatchObject({ ok: true });
    expect(starttls.secured.at(-1)).toBe(true);
  });

  it('speaks TLS from the first byte when told to', async () => {
    expect(await send(emailPlugin, tlsConfig(implicit, 'tls', true), alertGroup([alert()]))).toMatchObject({ ok: true });
    expect(implicit.secured.at(-1)).toBe(true);
  });

  it('refuses an untrusted certificate unless allowed, and says so without retrying', async () => {
    const outcome = await send(emailPlugin, tlsConfig(starttls, 'starttls', false), alertGroup([alert()]));
    expect(outcome).toMatchObject({ ok: false, retryable: false });
    expect((outcome as { error: string }).error).toMatch(/certificate/i);
  });
});
