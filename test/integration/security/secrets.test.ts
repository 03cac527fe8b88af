import { createChannel } from '../../support/fixtures';
import { RequestContext } from '@mikro-orm/core';
import { Client } from 'pg';
import { parse } from 'yaml';
import { startTestServer, type TestServer } from '../../support/app';
import { runCli } from '../../support/cli-process';
import { TEST_ENCRYPTION_KEY } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** Secrets planted in every kind of setting; none may come back in clear, to anyone, or sit in the database in clear. */
const SECRETS = {
  webhookPath: 'WEBHOOK-PATH-SECRET-4711',
  webhookQuery: 'WEBHOOK-QUERY-SECRET-4712',
  header: 'HEADER-SECRET-4713',
  signing: 'SIGNING-SECRET-4714-abcdef',
  dingtalkToken: 'DINGTALK-TOKEN-4715',
  n8nPath: 'N8N-PATH-SECRET-4716',
  n8nHeader: 'N8N-HEADER-SECRET-4717',
  smtp: 'SMTP-PASSWORD-4718',
  slack: 'SLACK-URL-SECRET-4719',
  basic: 'BASIC-PASSWORD-4720',
};

const TEMPLATE = `# team receivers
global:
  smtp_smarthost: smtp.example.com:587
  smtp_from: alerts@example.com
  smtp_auth_username: alerts
  smtp_auth_password: ${SECRETS.smtp}
  slack_api_url: https://hooks.slack.com/services/${SECRETS.slack}
receivers:
  - name: team
    webhook_configs:
      - url: https://alerts:${SECRETS.basic}@hooks.example.com/in
`;

describe('secrets are sealed at rest and masked for every role', () => {
  let db: TestDatabase;
  let server: TestServer;
  const tokens: Record<string, string> = {};
  let webhookToken: string;
  let sidecarToken: string;
  let ids: { webhook: string; provider: string; cluster: string };

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    for (const role of ['viewer', 'operator', 'admin'] as const) tokens[role] = await server.issueToken(role);
    const admin = tokens.admin;
    const webhook = await server.gql(
      'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }',
      {
        i: {
          name: 'hook',
          type: 'webhook',
          config: {
            url: `http://127.0.0.1:9/hooks/${SECRETS.webhookPath}?key=${SECRETS.webhookQuery}`,
            headers: { Authorization: `Bearer ${SECRETS.header}` },
            signingSecret: SECRETS.signing,
          },
        },
      },
      admin,
    );
    await server.gql(
      'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }',
      {
        i: {
          name: 'ding',
          type: 'dingtalk',
          config: { webhookUrl: `https://oapi.dingtalk.com/robot/send?access_token=${SECRETS.dingtalkToken}`, secret: SECRETS.signing },
        },
      },
      admin,
    );
    const provider = await server.gql(
      'mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }',
      {
        i: { name: 'n8n', type: 'n8n', config: { webhookUrl: `http://127.0.0.1:9/webhook/${SECRETS.n8nPath}` }, secret: SECRETS.n8nHeader },
      },
      admin,
    );
    const cluster = await server.gql(
      'mutation($i: CreateClusterInput!) { createCluster(input: $i) { webhookToken sidecarToken cluster { id } } }',
      {
        i: { name: 'eu-1', alertmanagerUrls: ['http://127.0.0.1:9'], configTemplate: TEMPLATE },
      },
      admin,
    );
    expect([webhook.errors, provider.errors, cluster.errors]).toEqual([undefined, undefined, undefined]);
    ({ webhookToken, sidecarToken } = cluster.data!.createCluster);
    ids = {
      webhook: webhook.data!.createChannel.id,
      provider: provider.data!.createAnalysisProvider.id,
      cluster: cluster.data!.createCluster.cluster.id,
    };
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const planted = () => [...Object.values(SECRETS), webhookToken];
  const leaks = (text: string) => planted().filter((secret) => text.includes(secret));

  it.each(['viewer', 'operator', 'admin'])('shows a %s every setting it may read with each secret masked', async (role) => {
    const readable = [
      '{ channels { items { config secretFieldsSet } } }',
      '{ analysisProviders { items { config secretSet } } }',
      '{ clusters { items { name webhookUrl routes inhibitRules } } }',
      '{ auditEvents(limit: 100) { items { action details } } }',
      `{ cluster(id: "${ids.cluster}") { configTemplate desiredConfig { content } configVersions { items { content } } } }`,
    ];
    for (const query of readable) {
      const res = await server.gql(query, undefined, tokens[role]);
      expect(leaks(JSON.stringify(res))).toEqual([]);
    }
    const template = await server.gql(`{ cluster(id: "${ids.cluster}") { configTemplate } }`, undefined, tokens[role]);
    if (role === 'viewer') {
      expect(template.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    } else {
      const shown = parse(template.data!.cluster.configTemplate);
      expect(shown.global).toMatchObject({
        smtp_auth_password: '••••••',
        smtp_auth_username: 'alerts',
        slack_api_url: 'https://hooks.slack.com/••••••',
      });
      expect(shown.receivers[0].webhook_configs[0].url).toBe('https://hooks.example.com/••••••');
      expect(template.data!.cluster.configTemplate).toContain('# team receivers');
    }
    const channels = await server.gql('{ channels { items { name config } } }', undefined, tokens[role]);
    const hook = channels.data!.channels.items.find((c: { name: string }) => c.name === 'hook');
    expect(hook.config).toMatchObject({ url: 'http://127.0.0.1:9/••••••', signingSecret: '••••••', headers: { Authorization: '••••••' } });
    const providers = await server.gql('{ analysisProviders { items { config secretSet } } }', undefined, tokens[role]);
    expect(providers.data!.analysisProviders.items[0]).toEqual({
      config: expect.objectContaining({ webhookUrl: 'http://127.0.0.1:9/••••••' }),
      secretSet: true,
    });
  });

  it('keeps no secret in clear in any table', async () => {
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const tables = (await client.query(`select tablename from pg_tables where schemaname = 'public'`)).rows.map(
        (r) => r.tablename as string,
      );
      for (const table of tables) {
        const rows = (await client.query(`select * from "${table}"`)).rows;
        expect({ table, leaks: leaks(JSON.stringify(rows)) }).toEqual({ table, leaks: [] });
      }
    } finally {
      await client.end();
    }
  });

  it('keeps stored secrets when settings are sent back as they were shown (masked) or left out', async () => {
    const { admin, operator } = tokens;
    const shown = (await server.gql(`{ cluster(id: "${ids.cluster}") { configTemplate } }`, undefined, operator)).data!.cluster
      .configTemplate as string;
    const edited = shown.replace('smtp_from: alerts@example.com', 'smtp_from: oncall@example.com');
    const saved = await server.gql(
      'mutation($id: ID!, $i: UpdateClusterInput!) { updateCluster(id: $id, input: $i) { id } }',
      { id: ids.cluster, i: { configTemplate: edited } },
      admin,
    );
    expect(saved.errors).toBeUndefined();
    const served = await (
      await fetch(`${server.baseUrl}/api/v1/sidecar/clusters/eu-1/alertmanager.yml`, {
        headers: { authorization: `Bearer ${sidecarToken}` },
      })
    ).text();
    expect(parse(served).global).toMatchObject({
      smtp_auth_password: SECRETS.smtp,
      smtp_from: 'oncall@example.com',
      slack_api_url: `https://hooks.slack.com/services/${SECRETS.slack}`,
    });

    const nowhere = await server.gql(
      'mutation($id: ID!, $i: UpdateClusterInput!) { updateCluster(id: $id, input: $i) { id } }',
      {
        id: ids.cluster,
        i: {
          configTemplate: `${edited}\nreceivers_extra_note: x\n`.replace(
            'smtp_auth_username: alerts',
            'smtp_auth_username: alerts\n  smtp_auth_secret: ••••••',
          ),
        },
      },
      admin,
    );
    expect(nowhere.errors?.[0]).toMatchObject({
      extensions: { code: 'BAD_USER_INPUT' },
      message: expect.stringMatching(/^input\.configTemplate: global\.smtp_auth_secret: holds a masked secret/),
    });

    const channel = await server.gql(
      'mutation($id: ID!, $i: UpdateChannelInput!) { updateChannel(id: $id, input: $i) { config } }',
      { id: ids.webhook, i: { config: { url: 'http://127.0.0.1:9/••••••', timeoutMs: 2000 } } },
      operator,
    );
    expect(channel.errors).toBeUndefined();
    const { channels, storage } = server.handle.services;
    const sendable = await RequestContext.create(storage.orm.em, () => channels.sendable(ids.webhook));
    expect(sendable!.config.url).toBe(`http://127.0.0.1:9/hooks/${SECRETS.webhookPath}?key=${SECRETS.webhookQuery}`);

    const provider = await server.gql(
      'mutation($id: ID!, $i: AnalysisProviderUpdateInput!) { updateAnalysisProvider(id: $id, input: $i) { config } }',
      {
        id: ids.provider,
        i: { name: 'n8n', type: 'n8n', config: { mode: 'callback' } },
      },
      admin,
    );
    expect(provider.errors).toBeUndefined();
    expect(provider.data!.updateAnalysisProvider.config).toMatchObject({ webhookUrl: 'http://127.0.0.1:9/••••••', mode: 'callback' });
  });

  it('prints the configuration with every sensitive value hidden', async () => {
    const env = {
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      PREVIOUS_ENCRYPTION_KEYS: `old:${Buffer.alloc(32, 9).toString('base64')}`,
      AUTH_BOOTSTRAP_TOKEN: 'bootstrap-token-that-must-not-print',
      AUTH_JWT_SECRET: 'jwt-secret-that-must-not-print-0123456789',
      DATABASE_URL: 'postgresql://alertagent:db-password-that-must-not-print@db:5432/alertagent',
      REDIS_URL: 'redis://:redis-password-that-must-not-print@redis:6379',
      UNLEASH_API_TOKEN: 'unleash-token-that-must-not-print',
    };
    const result = await runCli(['config'], env);
    expect(result.code).toBe(0);
    for (const value of Object.values(env))
      expect(result.stdout).not.toContain(value.includes('://') ? value.split('@')[0].split(':').pop()! : value);
    expect(result.stdout).toContain('"url": "postgresql://alertagent:***@db:5432/alertagent"');
    expect(result.stdout).toContain('"encryptionKey": "[set]"');
  });
});

describe('alertagent secrets reseal', () => {
  let db: TestDatabase;
  const oldKey = TEST_ENCRYPTION_KEY;
  const newKey = Buffer.alloc(32, 42).toString('base64');

  afterAll(async () => {
    await db?.drop();
  });

  it('seals everything again with the new key after a rotation, and seals what an older release kept in clear', async () => {
    db = await createTestDatabase();
    const url = `http://127.0.0.1:9/hooks/${SECRETS.webhookPath}`;
    const first = await startTestServer({ DATABASE_URL: db.url, ENCRYPTION_KEY: oldKey, ENCRYPTION_KEY_ID: 'k1' });
    const admin = await first.issueToken('admin');
    const channelId = await createChannel(first, { name: 'hook', type: 'webhook', config: { url } }, admin);
    await first.gql(
      'mutation($i: CreateClusterInput!) { createCluster(input: $i) { webhookToken } }',
      { i: { name: 'eu-1', alertmanagerUrls: ['http://127.0.0.1:9'], configTemplate: TEMPLATE } },
      admin,
    );
    await first.stop();

    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      // As an older release stored them: the webhook URL in the public settings, a config version in clear.
      await client.query(`update "channel" set "config" = "config" || jsonb_build_object('url', $1::text), "secrets" = "secrets" - 'url'`, [
        url,
      ]);
      await client.query(`update "cluster_config_version" set "content" = 'legacy: true', "content_sealed" = null`);

      const result = await runCli(['secrets', 'reseal'], {
        DATABASE_URL: db.url,
        ENCRYPTION_KEY: newKey,
        ENCRYPTION_KEY_ID: 'k2',
        PREVIOUS_ENCRYPTION_KEYS: `k1:${oldKey}`,
      });
      expect(result).toMatchObject({ code: 0, stdout: 'resealed: 1 channels, 0 analysis providers, 1 clusters, 1 config versions\n' });

      const dump = JSON.stringify(
        (
          await client.query(
            `select (select json_agg(c) from "channel" c) as channels, (select json_agg(k) from "cluster" k) as clusters, (select json_agg(v) from "cluster_config_version" v) as versions`,
          )
        ).rows,
      );
      expect(dump).not.toContain('"kid":"k1"');
      expect(dump).not.toContain(SECRETS.webhookPath);
      expect(dump).not.toContain('legacy: true');
    } finally {
      await client.end();
    }

    // The old key can go: everything opens with the new one alone.
    const second = await startTestServer({ DATABASE_URL: db.url, ENCRYPTION_KEY: newKey, ENCRYPTION_KEY_ID: 'k2' });
    try {
      const { channels, clusters, storage } = second.handle.services;
      const sendable = await RequestContext.create(storage.orm.em, () => channels.sendable(channelId));
      expect(sendable!.config.url).toBe(url);
      const version = await RequestContext.create(storage.orm.em, async () =>
        clusters.desiredConfig((await clusters.findByName('eu-1'))!.id),
      );
      expect(version.content).toBe('legacy: true');
    } finally {
      await second.stop();
    }
  });
});
