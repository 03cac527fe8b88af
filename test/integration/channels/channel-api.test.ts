import { Client } from 'pg';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';

const CHANNEL_FIELDS = 'id name type config secretFieldsSet tags enabled group { id name } health { status attempts successRate }';
const CREATE = `mutation($input: CreateChannelInput!) { createChannel(input: $input) { ${CHANNEL_FIELDS} } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateChannelInput!) { updateChannel(id: $id, input: $input) { ${CHANNEL_FIELDS} } }`;
const SECRET = 'whsec-do-not-leak-0123456789';

describe('channels through GraphQL', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;
  const peer = new WebhookPeer(SECRET);

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    admin = await server.issueToken('admin');
    operator = await server.issueToken('operator');
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  const webhookInput = (name: string) => ({
    name,
    type: 'webhook',
    config: { url: `${peer.baseUrl}/hooks/${name}`, signingSecret: SECRET, headers: { Authorization: 'Bearer peer-token-xyz' } },
    tags: ['team:sre'],
  });

  it('lists every channel kind with a JSON Schema a UI can draw', async () => {
    const res = await server.gql('{ channelTypes { type secretFields configSchema } }', undefined, viewer);
    const kinds = res.data!.channelTypes;
    expect(kinds.map((k: { type: string }) => k.type).sort()).toEqual([
      'dingtalk',
      'email',
      'feishu',
      'pagerduty',
      'slack',
      'teams',
      'telegram',
      'webhook',
      'wecom',
    ]);
    const dingtalk = kinds.find((k: { type: string }) => k.type === 'dingtalk');
    expect(dingtalk.secretFields).toEqual(['webhookUrl', 'secret', 'tlsKey']);
    expect(dingtalk.configSchema.properties.msgType.enum).toEqual(['markdown', 'text', 'actionCard']);
    expect(dingtalk.configSchema.required).toEqual(['webhookUrl']);
  });

  it('creates a channel and never answers its secrets in clear', async () => {
    const res = await server.gql(CREATE, { input: webhookInput('sre-hook') }, operator);
    expect(res.errors).toBeUndefined();
    const channel = res.data!.createChannel;
    // The URL is a secret too (receivers take tokens in it): its scheme and host show, nothing more.
    expect(channel.config.url).toBe(`${peer.baseUrl}/••••••`);
    expect(channel.config.signingSecret).toBe('••••••');
    expect(channel.config.headers).toEqual({ Authorization: '••••••' });
    expect(channel.secretFieldsSet.sort()).toEqual(['headers', 'signingSecret', 'url']);
    expect(channel.health).toEqual({ status: 'UNKNOWN', attempts: 0, successRate: null });
    expect(JSON.stringify(res)).not.toContain(SECRET);
    expect(JSON.stringify(res)).not.toContain('peer-token-xyz');
  });

  it('keeps secrets encrypted at rest: the database row holds neither secret', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(`select config::text, secrets::text from channel where name = 'sre-hook'`);
    await client.end();
    expect(rows[0].secrets).not.toContain(SECRET);
    expect(rows[0].secrets).not.toContain('peer-token-xyz');
    expect(rows[0].config).not.toContain(SECRET);
    expect(JSON.parse(rows[0].secrets).signingSecret).toMatchObject({ kid: 'k1', iv: expect.any(String), tag: expect.any(String) });
  });

  it('masks secrets in lists and single reads, for every role', async () => {
    for (const token of [viewer, operator, admin]) {
      const list = await server.gql('{ channels(search: "sre") { total items { config } } }', undefined, token);
      expect(list.data!.channels.total).toBe(1);
      expect(JSON.stringify(list)).not.toContain(SECRET);
    }
  });

  it('keeps the stored secret when an update omits it, and the peer still verifies signatures', async () => {
    const { id } = (await server.gql('{ channels(search: "sre-hook") { items { id } } }', undefined, admin)).data!.channels.items[0];
    const updated = await server.gql(UPDATE, { id, input: { config: { timeoutMs: 5000 }, tags: ['team:sre', 'prod'] } }, operator);
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateChannel.config.timeoutMs).toBe(5000);
    expect(updated.data!.updateChannel.secretFieldsSet.sort()).toEqual(['headers', 'signingSecret', 'url']);

    const test = await server.gql(
      'mutation($id: ID!) { testChannel(id: $id) { status attempts attemptLog { ok status peerAnswer } } }',
      { id },
      operator,
    );
    expect(test.errors).toBeUndefined();
    expect(test.data!.testChannel).toEqual({
      status: 'DELIVERED',
      attempts: 1,
      attemptLog: [{ ok: true, status: 200, peerAnswer: '{"ok":true}' }],
    });
    const received = peer.accepted.at(-1)!;
    expect(received.headers.authorization).toBe('Bearer peer-token-xyz');
    expect(received.payload.alerts[0].labels.alertname).toBe('AlertAgentTest');
  });

  it('rejects an invalid config with BAD_USER_INPUT naming the field, and stores nothing', async () => {
    const res = await server.gql(
      CREATE,
      { input: { name: 'broken', type: 'dingtalk', config: { webhookUrl: 'https://oapi.dingtalk.com/robot/send', msgType: 'video' } } },
      operator,
    );
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    const issues = res.errors?.[0].extensions?.issues as Array<{ field: string; message: string }>;
    expect(issues.map((i) => i.field)).toEqual(['input.config.webhookUrl', 'input.config.msgType']);
    expect(issues[0].message).toBe('expected the URL to carry access_token=…');
    const list = await server.gql('{ channels(search: "broken") { total } }', undefined, admin);
    expect(list.data!.channels.total).toBe(0);
  });

  it('rejects an unknown type and a template that does not parse, naming the field', async () => {
    const unknown = await server.gql(CREATE, { input: { name: 'pager', type: 'opsgenie', config: {} } }, operator);
    expect(unknown.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' } });
    expect(unknown.errors?.[0].message).toMatch(
      /^type: unknown channel type "opsgenie"; known types: dingtalk, wecom, email, webhook, slack, feishu, teams, telegram, pagerduty$/,
    );
    const template = await server.gql(CREATE, { input: { ...webhookInput('tpl'), templates: { title: '{% if %}' } } }, operator);
    expect(template.errors?.[0].message).toMatch(/^input\.templates\.title: template does not parse/);
  });

  it('refuses a duplicate name with CONFLICT', async () => {
    const res = await server.gql(CREATE, { input: webhookInput('sre-hook') }, operator);
    expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
  });

  it('does not let a viewer create, change or test channels', async () => {
    const create = await server.gql(CREATE, { input: webhookInput('viewer-made') }, viewer);
    expect(create.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const { id } = (await server.gql('{ channels(search: "sre-hook") { items { id } } }', undefined, viewer)).data!.channels.items[0];
    const test = await server.gql('mutation($id: ID!) { testChannel(id: $id) { status } }', { id }, viewer);
    expect(test.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('lets a group demand admin for its channels, inherited by subgroups', async () => {
    const group = await server.gql(
      'mutation { createChannelGroup(input: { name: "payments", manageRole: ADMIN }) { id manageRole } }',
      undefined,
      admin,
    );
    const groupId = group.data!.createChannelGroup.id;
    const sub = await server.gql(
      'mutation($p: ID!) { createChannelGroup(input: { name: "eu", parentId: $p }) { id parentId } }',
      { p: groupId },
      admin,
    );
    const subId = sub.data!.createChannelGroup.id;
    const byOperator = await server.gql(CREATE, { input: { ...webhookInput('payments-eu'), groupId: subId } }, operator);
    expect(byOperator.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(byOperator.errors?.[0].message).toContain("needs at least the admin role (the group's manage role)");
    const byAdmin = await server.gql(CREATE, { input: { ...webhookInput('payments-eu'), groupId: subId } }, admin);
    expect(byAdmin.data!.createChannel.group).toEqual({ id: subId, name: 'eu' });
    const filtered = await server.gql('query($g: ID!) { channels(groupId: $g) { total items { name } } }', { g: subId }, viewer);
    expect(filtered.data!.channels).toEqual({ total: 1, items: [{ name: 'payments-eu' }] });
  });

  it('filters by tag and type and sorts and pages the list', async () => {
    await server.gql(
      CREATE,
      { input: { name: 'slack-alpha', type: 'slack', config: { webhookUrl: 'https://hooks.slack.com/services/T/B/X' }, tags: ['prod'] } },
      admin,
    );
    const byTag = await server.gql('{ channels(tag: "prod", sortBy: NAME, order: ASC) { total items { name } } }', undefined, viewer);
    expect(byTag.data!.channels.items.map((c: { name: string }) => c.name)).toEqual(['slack-alpha', 'sre-hook']);
    const byType = await server.gql('{ channels(type: "slack") { total } }', undefined, viewer);
    expect(byType.data!.channels.total).toBe(1);
    const page = await server.gql(
      '{ channels(limit: 1, offset: 1, sortBy: NAME, order: ASC) { total items { name } } }',
      undefined,
      viewer,
    );
    expect(page.data!.channels.items).toHaveLength(1);
    expect(page.data!.channels.total).toBeGreaterThanOrEqual(3);
  });

  it('answers NOT_FOUND for an unknown channel and records deletions in the audit trail', async () => {
    const missing = await server.gql('{ channel(id: "00000000-0000-4000-8000-000000000000") { id } }', undefined, viewer);
    expect(missing.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    const { id } = (await server.gql('{ channels(search: "slack-alpha") { items { id } } }', undefined, admin)).data!.channels.items[0];
    expect((await server.gql('mutation($id: ID!) { deleteChannel(id: $id) }', { id }, operator)).data!.deleteChannel).toBe(true);
    const audit = await server.gql('{ auditEvents(action: "channel.deleted") { items { actor targetId details } } }', undefined, admin);
    expect(audit.data!.auditEvents.items[0]).toMatchObject({
      actor: 'api-token:test-operator',
      targetId: id,
      details: { name: 'slack-alpha', type: 'slack' },
    });
  });
});
