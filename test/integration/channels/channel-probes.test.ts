import { createChannel } from '../../support/fixtures';
import { loopbackPeers } from '../../support/plugin-send';
import { emailPlugin } from '../../../src/services/channels/plugins/email.plugin';
import { telegramPlugin } from '../../../src/services/channels/plugins/telegram.plugin';
import { startTestServer, type TestServer } from '../../support/app';
import { SlackPeer } from '../../support/peers/slack-peer';
import { SmtpPeer } from '../../support/peers/smtp-peer';
import { TelegramPeer } from '../../support/peers/telegram-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const peers = loopbackPeers;
const TOKEN = '123456789:AAF0123456789abcdefghijklmnopqrstuv';

/** Probes check a channel without posting: a bot token with getMe, an SMTP server with a login. */
describe('channel probes', () => {
  const telegram = new TelegramPeer(TOKEN, ['42']);
  const smtp = new SmtpPeer();
  const slack = new SlackPeer();
  let db: TestDatabase;
  let server: TestServer;
  let operator: string;
  let viewer: string;
  const ids: Record<string, string> = {};

  beforeAll(async () => {
    await Promise.all([telegram.start(), smtp.start(), slack.start()]);
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    operator = await server.issueToken('operator');
    viewer = await server.issueToken('viewer');
    for (const [name, type, config] of [
      ['bot', 'telegram', { botToken: TOKEN, chatId: '42', apiUrl: telegram.apiUrl }],
      ['slack', 'slack', { webhookUrl: slack.webhookUrl }],
    ] as const) {
      ids[name] = await createChannel(server, { name, type, config }, operator);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await Promise.all([telegram.stop(), smtp.stop(), slack.stop()]);
  });

  it('Telegram: getMe says whose token it is, and a wrong token fails — nothing is posted', async () => {
    expect(
      await telegramPlugin.probe!(telegramPlugin.schema.parse({ botToken: TOKEN, chatId: '42', apiUrl: telegram.apiUrl }), { peers }),
    ).toMatchObject({ ok: true, detail: 'the token belongs to @alertagent_bot' });
    const wrong = telegramPlugin.schema.parse({
      botToken: '123456789:AAFxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx',
      chatId: '42',
      apiUrl: telegram.apiUrl,
    });
    expect(await telegramPlugin.probe!(wrong, { peers })).toMatchObject({
      ok: false,
      detail: 'Telegram answered 401: Unauthorized (check the bot token)',
    });
    expect(telegram.accepted).toHaveLength(0);
  });

  it('email: logs in and quits without mailing; a wrong password fails with the server reply', async () => {
    const config = {
      host: '127.0.0.1',
      port: smtp.port,
      security: 'none',
      username: smtp.credentials.user,
      password: smtp.credentials.pass,
      from: 'a@example.org',
      to: ['b@example.org'],
    };
    expect(await emailPlugin.probe!(emailPlugin.schema.parse(config), { peers })).toMatchObject({
      ok: true,
      detail: `127.0.0.1:${smtp.port} accepted the login of ${smtp.credentials.user}`,
    });
    expect(await emailPlugin.probe!(emailPlugin.schema.parse({ ...config, password: 'wrong' }), { peers })).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^SMTP EAUTH: .*535/),
    });
    expect(smtp.messages).toHaveLength(0);
  });

  it('probeChannel through GraphQL: answers for a type that can probe, refuses one that can only post, and asks for the test permission', async () => {
    const probed = await server.gql('mutation($id: ID!) { probeChannel(id: $id) { ok detail latencyMs } }', { id: ids.bot }, operator);
    expect(probed.data!.probeChannel).toMatchObject({ ok: true, detail: 'the token belongs to @alertagent_bot' });
    const slackProbe = await server.gql('mutation($id: ID!) { probeChannel(id: $id) { ok } }', { id: ids.slack }, operator);
    expect(slackProbe.errors?.[0]).toMatchObject({
      message: 'id: a slack channel cannot be checked without posting a message; use testChannel',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(
      (await server.gql('mutation($id: ID!) { probeChannel(id: $id) { ok } }', { id: ids.bot }, viewer)).errors?.[0].extensions?.code,
    ).toBe('FORBIDDEN');
    const kinds = (await server.gql('{ channelTypes { type canProbe } }', {}, viewer)).data!.channelTypes;
    expect(
      kinds
        .filter((k: { canProbe: boolean }) => k.canProbe)
        .map((k: { type: string }) => k.type)
        .sort(),
    ).toEqual(['email', 'telegram']);
  });
});
