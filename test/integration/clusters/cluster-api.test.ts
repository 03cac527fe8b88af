import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import { startTestServer, type TestServer } from '../../support/app';
import { amtoolCheck } from '../../support/alertmanager';
import { validPayload } from '../../support/alerts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const CLUSTER_FIELDS = 'id name labels alertmanagerUrls status webhookUrl syncIntervalSeconds';
const CREATE = `mutation($input: CreateClusterInput!) { createCluster(input: $input) { webhookToken sidecarToken cluster { ${CLUSTER_FIELDS} } } }`;
const UPDATE = `mutation($id: ID!, $input: UpdateClusterInput!) { updateCluster(id: $id, input: $input) { ${CLUSTER_FIELDS} } }`;
const CONFIG =
  'query($id: ID!) { cluster(id: $id) { desiredConfig { version hash content author } configVersions { total items { version hash } } sync { desiredVersion desiredHash instances { instance appliedHash inSync lastError lastSuccessAt } } } }';

describe('clusters through GraphQL and the sidecar endpoints', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, PUBLIC_URL: 'http://alertagent.example:4000' });
    admin = await server.issueToken('admin');
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const create = async (name: string, extra: Record<string, unknown> = {}) => {
    const result = await server.gql(
      CREATE,
      { input: { name, alertmanagerUrls: ['http://am-0:9093', 'http://am-1:9093/'], labels: { env: 'prod' }, ...extra } },
      admin,
    );
    expect(result.errors).toBeUndefined();
    return result.data!.createCluster as { webhookToken: string; sidecarToken: string; cluster: Record<string, any> };
  };
  const configUrl = (name: string) => `${server.baseUrl}/api/v1/sidecar/clusters/${name}/alertmanager.yml`;

  it('registers a cluster, shows its tokens once and renders a config amtool accepts', async () => {
    const created = await create('eu-1');
    expect(created.webhookToken).toMatch(/^aaw_[A-Za-z0-9_-]{43}$/);
    expect(created.sidecarToken).toMatch(/^aas_[A-Za-z0-9_-]{43}$/);
    expect(created.cluster).toMatchObject({
      name: 'eu-1',
      labels: { env: 'prod' },
      alertmanagerUrls: ['http://am-0:9093', 'http://am-1:9093'],
      status: 'unknown',
      webhookUrl: 'http://alertagent.example:4000/api/v1/alerts/alertmanager/eu-1',
      syncIntervalSeconds: 30,
    });
    const { data } = await server.gql(CONFIG, { id: created.cluster.id }, admin);
    const config = data!.cluster.desiredConfig;
    expect(config).toMatchObject({ version: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/), author: 'test-admin' });
    const doc = parse(config.content);
    // GraphQL shows the token masked; the cluster's sidecar gets it in clear.
    expect(doc.receivers[0].webhook_configs[0]).toMatchObject({
      url: created.cluster.webhookUrl,
      http_config: { authorization: { credentials: '••••••' } },
    });
    const served = await (await fetch(configUrl('eu-1'), { headers: { authorization: `Bearer ${created.sidecarToken}` } })).text();
    expect(parse(served).receivers[0].webhook_configs[0].http_config.authorization.credentials).toBe(created.webhookToken);
    expect(amtoolCheck(served).ok).toBe(true);

    // Neither token is stored in clear or listed again.
    const listed = JSON.stringify((await server.gql(`{ clusters { items { ${CLUSTER_FIELDS} } } }`, {}, viewer)).data);
    expect(listed).toContain('eu-1');
    expect(listed).not.toContain(created.sidecarToken);
  });

  it('refuses a change Alertmanager would refuse, with the reasons, and keeps the last good version', async () => {
    const { cluster } = await create('eu-2');
    const refused = await server.gql(
      UPDATE,
      { id: cluster.id, input: { routes: '- receiver: pager\n  matchers: [\'severity=~"("\']\n' } },
      admin,
    );
    expect(refused.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(refused.errors![0].message).toContain('undefined receiver "pager" used in route');
    expect(refused.errors![0].message).toContain('error parsing regexp');
    const after = await server.gql(CONFIG, { id: cluster.id }, admin);
    expect(after.data!.cluster.configVersions.total).toBe(1);
    expect((await server.gql(`query($id: ID!) { cluster(id: $id) { routes } }`, { id: cluster.id }, admin)).data!.cluster.routes).toBe('');

    const accepted = await server.gql(
      UPDATE,
      { id: cluster.id, input: { routes: '- receiver: alertagent\n  matchers: [\'severity="critical"\']\n  group_wait: 5s\n' } },
      admin,
    );
    expect(accepted.errors).toBeUndefined();
    const versions = (await server.gql(CONFIG, { id: cluster.id }, admin)).data!.cluster.configVersions;
    expect(versions.total).toBe(2);
    expect(versions.items[0].version).toBe(2);

    // A change that renders the same file adds no version.
    await server.gql(UPDATE, { id: cluster.id, input: { labels: { env: 'prod', region: 'eu' } } }, admin);
    expect((await server.gql(CONFIG, { id: cluster.id }, admin)).data!.cluster.configVersions.total).toBe(2);
  });

  it('answers bad input, unknown ids, duplicates and missing rights precisely', async () => {
    const bad = await server.gql(CREATE, { input: { name: 'has space', alertmanagerUrls: ['ftp://x'], syncIntervalSeconds: 0 } }, admin);
    expect(bad.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(bad.errors![0].message).toMatch(/name.*letters, digits/);
    expect(bad.errors![0].message).toContain('alertmanagerUrls.0');
    expect(bad.errors![0].message).toContain('syncIntervalSeconds');
    const none = await server.gql(CREATE, { input: { name: 'empty', alertmanagerUrls: [] } }, admin);
    expect(none.errors![0].message).toContain('at least one Alertmanager URL');

    await create('dup');
    const dup = await server.gql(CREATE, { input: { name: 'dup', alertmanagerUrls: ['http://x:9093'] } }, admin);
    expect(dup.errors![0].extensions!.code).toBe('CONFLICT');

    const unknown = await server.gql(UPDATE, { id: '00000000-0000-4000-8000-000000000000', input: { labels: {} } }, admin);
    expect(unknown.errors![0].extensions!.code).toBe('NOT_FOUND');

    const forbidden = await server.gql(CREATE, { input: { name: 'viewer-made', alertmanagerUrls: ['http://x:9093'] } }, viewer);
    expect(forbidden.errors![0].extensions!.code).toBe('FORBIDDEN');
    const anonymous = await server.gql(CREATE, { input: { name: 'anon', alertmanagerUrls: ['http://x:9093'] } });
    expect(anonymous.errors![0].extensions!.code).toBe('UNAUTHENTICATED');
  });

  it('serves the config to the cluster’s sidecar only, with an ETag that makes an unchanged poll a 304', async () => {
    const { cluster, sidecarToken, webhookToken } = await create('us-1');
    const other = await create('us-2');
    expect((await fetch(configUrl('us-1'))).status).toBe(401);
    expect((await fetch(configUrl('us-1'), { headers: { authorization: `Bearer ${other.sidecarToken}` } })).status).toBe(401);
    expect((await fetch(configUrl('nope'), { headers: { authorization: `Bearer ${sidecarToken}` } })).status).toBe(401);

    const first = await fetch(configUrl('us-1'), { headers: { authorization: `Bearer ${sidecarToken}` } });
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/yaml');
    const desired = (await server.gql(CONFIG, { id: cluster.id }, admin)).data!.cluster.desiredConfig;
    expect(first.headers.get('etag')).toBe(`"${desired.hash}"`);
    expect(first.headers.get('x-sync-interval-seconds')).toBe('30');
    // The sidecar gets the file itself (the hash is of its bytes); GraphQL shows it with the token masked.
    const served = await first.text();
    expect(createHash('sha256').update(served).digest('hex')).toBe(desired.hash);
    expect(served.replace(webhookToken, '••••••')).toBe(desired.content);

    const again = await fetch(configUrl('us-1'), {
      headers: { authorization: `Bearer ${sidecarToken}`, 'if-none-match': `"${desired.hash}"` },
    });
    expect(again.status).toBe(304);
  });

  it('records sidecar reports as sync status and rejects malformed ones', async () => {
    const { cluster, sidecarToken } = await create('ap-1');
    const syncUrl = `${server.baseUrl}/api/v1/sidecar/clusters/ap-1/sync`;
    const post = (body: unknown) =>
      fetch(syncUrl, {
        method: 'POST',
        headers: { authorization: `Bearer ${sidecarToken}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const malformed = await post({ instance: 'am-0', kind: 'alertmanager', appliedHash: 'xyz', ok: 'yes' });
    expect(malformed.status).toBe(400);
    const text = await malformed.text();
    expect(text).toContain('body.appliedHash');
    expect(text).toContain('body.ok');

    const desired = (await server.gql(CONFIG, { id: cluster.id }, admin)).data!.cluster.desiredConfig;
    expect((await post({ instance: 'am-0', kind: 'alertmanager', appliedHash: desired.hash, ok: true, error: null })).status).toBe(200);
    expect(
      (await post({ instance: 'am-1', kind: 'alertmanager', appliedHash: null, ok: false, error: 'reload answered HTTP 500' })).status,
    ).toBe(200);
    const sync = (await server.gql(CONFIG, { id: cluster.id }, admin)).data!.cluster.sync;
    expect(sync.desiredHash).toBe(desired.hash);
    expect(sync.instances).toEqual([
      { instance: 'am-0', appliedHash: desired.hash, inSync: true, lastError: null, lastSuccessAt: expect.any(String) },
      { instance: 'am-1', appliedHash: null, inSync: false, lastError: 'reload answered HTTP 500', lastSuccessAt: null },
    ]);
  });

  it('accepts a cluster’s webhook token at that cluster’s endpoint only, and rotation retires old tokens', async () => {
    const { cluster, webhookToken, sidecarToken } = await create('sa-1');
    await create('sa-2');
    const post = (path: string, token: string) =>
      fetch(`${server.baseUrl}/api/v1/alerts/alertmanager${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(validPayload()),
      });
    expect((await post('/sa-1', webhookToken)).status).toBe(200);
    expect((await post('/sa-2', webhookToken)).status).toBe(401);
    expect((await post('', webhookToken)).status).toBe(401);
    // Alertmanager's basic_auth form works as well: the password is the token.
    const basic = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager/sa-1`, {
      method: 'POST',
      headers: { authorization: `Basic ${Buffer.from(`sa-1:${webhookToken}`).toString('base64')}`, 'content-type': 'application/json' },
      body: JSON.stringify(validPayload()),
    });
    expect(basic.status).toBe(200);

    const rotated = await server.gql(
      `mutation($id: ID!) { rotateClusterCredentials(id: $id) { webhookToken sidecarToken } }`,
      { id: cluster.id },
      admin,
    );
    const fresh = rotated.data!.rotateClusterCredentials;
    expect((await post('/sa-1', webhookToken)).status).toBe(401);
    expect((await post('/sa-1', fresh.webhookToken)).status).toBe(200);
    expect((await fetch(configUrl('sa-1'), { headers: { authorization: `Bearer ${sidecarToken}` } })).status).toBe(401);
    const content = await (await fetch(configUrl('sa-1'), { headers: { authorization: `Bearer ${fresh.sidecarToken}` } })).text();
    expect(content).toContain(fresh.webhookToken);
    expect((await server.gql(CONFIG, { id: cluster.id }, admin)).data!.cluster.configVersions.total).toBe(2);
  });

  it('deletes a cluster with its versions and statuses', async () => {
    const { cluster, sidecarToken } = await create('gone');
    expect((await server.gql(`mutation($id: ID!) { deleteCluster(id: $id) }`, { id: cluster.id }, admin)).data!.deleteCluster).toBe(true);
    expect((await server.gql(`query($id: ID!) { cluster(id: $id) { id } }`, { id: cluster.id }, admin)).errors![0].extensions!.code).toBe(
      'NOT_FOUND',
    );
    expect((await fetch(configUrl('gone'), { headers: { authorization: `Bearer ${sidecarToken}` } })).status).toBe(401);
  });
});
