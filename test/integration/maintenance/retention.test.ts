import { routeAllTo } from '../../support/fixtures';
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';
import { scrapeMetric } from '../../support/metrics';

/** Stored data stays bounded: each kind goes past its retention, in batches, and what is still in use stays. */
describe('data retention', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  const peer = new WebhookPeer();
  let server: TestServer;
  let admin: string;
  let sql: Client;

  const fire = async (alertname: string) => {
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="${alertname}"}`;
    payload.alerts = [
      alert({
        labels: { alertname, severity: 'warning' },
        fingerprint: Buffer.from(alertname).toString('hex').slice(-16).padStart(16, '0'),
      }),
    ];
    return fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  };
  const count = async (query: string) => Number((await sql.query(query)).rows[0].n);

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      RETENTION_RECEIPTS_DAYS: '7',
      RETENTION_RECORDS_DAYS: '30',
      RETENTION_DELIVERIES_DAYS: '30',
    });
    admin = await server.issueToken('admin');
    await routeAllTo(server, { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, admin);
    sql = new Client({ connectionString: db.url });
    await sql.connect();
  });

  afterAll(async () => {
    await sql?.end();
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('deletes each kind past its own retention and keeps what is recent or still in use', async () => {
    for (let i = 0; i < 10; i += 1) expect((await fire(`Old${i}`)).status).toBe(200);
    for (let i = 0; i < 5; i += 1) expect((await fire(`New${i}`)).status).toBe(200);
    await waitFor(
      async () => (await count(`select count(*) as n from "alert_record" where "state" = 'delivered'`)) === 15,
      'every alert delivered',
    );
    await waitFor(
      async () => (await count(`select count(*) as n from "alert_receipt" where "processed_at" is null`)) === 0,
      'every receipt processed',
    );

    // The Old alerts happened 40 days ago; one of their receipts was never processed, one delivery still waits.
    await sql.query(`update "alert_record" set "received_at" = now() - interval '40 days' where "alertname" like 'Old%'`);
    await sql.query(
      `update "alert_receipt" set "received_at" = now() - interval '40 days' where "id" in (select "receipt_id" from "alert_record" where "alertname" like 'Old%')`,
    );
    await sql.query(
      `update "delivery" set "created_at" = now() - interval '40 days' where "message"->'alerts'->0->'labels'->>'alertname' like 'Old%'`,
    );
    await sql.query(
      `update "alert_receipt" set "processed_at" = null where "id" = (select "receipt_id" from "alert_record" where "alertname" = 'Old0')`,
    );
    await sql.query(
      `update "delivery" set "status" = 'retrying', "next_attempt_at" = now() + interval '1 day' where "message"->'alerts'->0->'labels'->>'alertname' = 'Old1'`,
    );
    const attemptsBefore = await count(`select count(*) as n from "delivery_attempt"`);

    const removed = await server.handle.services.retention.prune();
    expect(removed).toMatchObject({ receipts: 9, records: 10, deliveries: 9 });
    expect(await count(`select count(*) as n from "alert_record" where "alertname" like 'New%'`)).toBe(5);
    expect(await count(`select count(*) as n from "alert_receipt" where "processed_at" is null`)).toBe(1);
    expect(await count(`select count(*) as n from "delivery" where "status" = 'retrying'`)).toBe(1);
    // Attempts went with their deliveries.
    expect(await count(`select count(*) as n from "delivery_attempt"`)).toBe(attemptsBefore - 9);
    // Put back what the test changed, for the sweepers.
    await sql.query(`update "alert_receipt" set "processed_at" = now()`);
    await sql.query(`update "delivery" set "status" = 'delivered', "next_attempt_at" = null where "status" = 'retrying'`);
    expect(await scrapeMetric(server.baseUrl, 'alertagent_retention_deleted_total', { kind: 'records' })).toBe(10);
  });

  it('prunes a large backlog in batches while alerts keep arriving and being delivered', async () => {
    const rows = 12_000;
    await sql.query(
      `insert into "alert_receipt" ("id", "received_at", "group_key", "receiver", "status", "alert_count", "source", "payload", "processed_at")
       select gen_random_uuid(), now() - interval '60 days', '{}', 'r', 'firing', 1, 'test', '{"alerts":[]}'::jsonb, now() - interval '60 days' from generate_series(1, $1)`,
      [rows],
    );
    const pruning = server.handle.services.retention.prune();
    const answers = await Promise.all(Array.from({ length: 30 }, (_, i) => fire(`During${i}`).then((r) => r.status)));
    const removed = await pruning;
    // And the first test's receipt left unprocessed, processed since: 40 days old.
    expect(removed.receipts).toBe(rows + 1);
    expect(answers.every((s) => s === 200)).toBe(true);
    await waitFor(
      async () =>
        (await count(`select count(*) as n from "alert_record" where "alertname" like 'During%' and "state" = 'delivered'`)) === 30,
      'every alert sent during the prune delivered',
    );
  });

  it('refuses a retention of zero days (it would delete everything at once)', async () => {
    await expect(startTestServer({ DATABASE_URL: db.url, RETENTION_RECORDS_DAYS: '0' })).rejects.toThrow(/RETENTION_RECORDS_DAYS/);
  });
});
