import { createChannel, createRoute } from '../../support/fixtures';
import { randomBytes, randomUUID } from 'node:crypto';
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { runCli } from '../../support/cli-process';
import { TEST_ENCRYPTION_KEY } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

interface Finding {
  check: string;
  ok: boolean;
  detail: string;
  fix?: string;
}

/** `alertagent doctor` finds each kind of trouble an operator meets, says how to fix it, and exits 1 until it is fixed. */
describe('alertagent doctor', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    LOG_LEVEL: 'warn',
    ...extra,
  });
  const doctor = async (extra: Record<string, string> = {}) => {
    const result = await runCli(['doctor', '--json'], env(extra));
    const findings = JSON.parse(result.stdout) as Finding[];
    return { code: result.code, findings, of: (check: string) => findings.find((f) => f.check === check)! };
  };

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('on a new database: says migrations are pending and waits with the checks of stored data', async () => {
    const { code, findings, of } = await doctor();
    expect(code).toBe(1);
    expect(of('migrations')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/^\d+ pending: Migration\w+ … Migration\w+/),
      fix: expect.stringContaining('alertagent migrate up'),
    });
    expect(findings.map((f) => f.check)).toEqual(['database', 'redis', 'unleash', 'migrations']);
  });

  it('finds an unset PUBLIC_URL, a route to a deleted channel, unrouted alerts, unreachable Redis and Unleash, and is clean once they are fixed', async () => {
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    const channelId = await createChannel(server, { name: 'oncall', type: 'webhook', config: { url: 'http://127.0.0.1:9/h' } }, admin);
    await createRoute(server, { name: 'databases', matchers: ['team="db"'], channelIds: [channelId] }, admin);
    await server.gql(
      'mutation { createCluster(input: { name: "prod-eu", alertmanagerUrls: ["http://127.0.0.1:9"] }) { cluster { id } } }',
      {},
      admin,
    );
    const payload = validPayload();
    payload.alerts = [alert({ labels: { alertname: 'DiskFull', team: 'storage' } })];
    const posted = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(posted.status).toBe(200);
    const sql = new Client({ connectionString: db.url });
    await sql.connect();
    const deleted = randomUUID();
    await sql.query(`update gateway_route set channel_ids = $1::json where name = 'databases'`, [JSON.stringify([channelId, deleted])]);

    const sick = await doctor({ REDIS_URL: 'redis://127.0.0.1:1', UNLEASH_URL: 'http://127.0.0.1:9/api' });
    expect(sick.code).toBe(1);
    expect(sick.of('redis')).toMatchObject({ ok: false, fix: expect.stringContaining('REDIS_URL') });
    expect(sick.of('unleash')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('http://127.0.0.1:9/api/client/features does not answer'),
    });
    expect(sick.of('public URL')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('1 clusters (their Alertmanagers post to it)'),
      fix: expect.stringContaining('PUBLIC_URL'),
    });
    expect(sick.of('routes')).toMatchObject({ ok: false, detail: `route databases names channel ${deleted}, which does not exist` });
    expect(sick.of('unrouted alerts')).toMatchObject({ ok: false, detail: 'alerts of the last 24 hours matched no route: DiskFull (1)' });
    expect(sick.of('secrets')).toMatchObject({ ok: true });

    await sql.query(`update gateway_route set channel_ids = $1::json where name = 'databases'`, [JSON.stringify([channelId])]);
    await sql.query(`update alert_record set received_at = now() - interval '2 days'`);
    await sql.end();
    const healthy = await doctor({ PUBLIC_URL: 'http://alertagent.monitoring:4000' });
    expect(healthy.findings.filter((f) => !f.ok)).toEqual([]);
    expect(healthy.code).toBe(0);
  });

  it('finds secrets sealed with a key that is missing, wrong or only a previous one, and reseal fixes the last', async () => {
    const otherKey = randomBytes(32).toString('base64');
    const missing = await doctor({ ENCRYPTION_KEY: otherKey, ENCRYPTION_KEY_ID: 'k2', PUBLIC_URL: 'http://a:4000' });
    expect(missing.of('secret keys')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/\d+ secrets sealed with key "k1", which is not configured/),
      fix: expect.stringContaining('PREVIOUS_ENCRYPTION_KEYS'),
    });

    const wrong = await doctor({ ENCRYPTION_KEY: otherKey, PUBLIC_URL: 'http://a:4000' });
    expect(wrong.of('secret keys').ok).toBe(true);
    expect(wrong.of('secrets')).toMatchObject({
      ok: false,
      detail: expect.stringContaining('failed authentication (wrong key or tampered data)'),
    });

    const rotated = {
      ENCRYPTION_KEY: otherKey,
      ENCRYPTION_KEY_ID: 'k2',
      PREVIOUS_ENCRYPTION_KEYS: `k1:${TEST_ENCRYPTION_KEY}`,
      PUBLIC_URL: 'http://a:4000',
    };
    const before = await doctor(rotated);
    expect(before.of('secret keys')).toMatchObject({
      ok: false,
      detail: expect.stringMatching(/secrets still sealed with the previous key "k1"/),
      fix: expect.stringContaining('alertagent secrets reseal'),
    });
    expect(before.of('secrets').ok).toBe(true);
    // The check opened every secret in a transaction it rolled back: nothing moved to k2 yet.
    expect((await doctor(rotated)).of('secret keys').ok).toBe(false);
    expect((await runCli(['secrets', 'reseal'], env(rotated))).code).toBe(0);
    const after = await doctor(rotated);
    expect(after.findings.filter((f) => !f.ok)).toEqual([]);
  });
});
