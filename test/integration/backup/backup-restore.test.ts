import { createChannel, createRoute } from '../../support/fixtures';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { gunzipSync, gzipSync } from 'node:zlib';
import { createHash } from 'node:crypto';
import { Client } from 'pg';
import { startTestServer, type TestServer } from '../../support/app';
import { alert, validPayload } from '../../support/alerts';
import { postGraphQL, runCli, startServeProcess, type ServeProcess } from '../../support/cli-process';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../../support/env';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

/** What a client sees of the installation: compared between the source and each restored copy. */
const QUERIES = [
  '{ channels(limit: 100) { total items { id name type enabled config secretFieldsSet createdAt updatedAt } } }',
  '{ routes { items { id name isDefault enabled channelIds } } }',
  '{ clusters { items { id name alertmanagerUrls labels configTemplate updatedAt } } }',
  ...[0, 150].map(
    (offset) =>
      `{ alertRecords(limit: 150, offset: ${offset}) { total items { id fingerprint status state labels annotations startsAt endsAt receiptId deliveryIds routeNames } } }`,
  ),
  ...[0, 150].map(
    (offset) => `{ deliveries(limit: 150, offset: ${offset}) { total items { id channelId status attempts idempotencyKey deliveredAt } } }`,
  ),
  '{ apiTokens { items { id name roleName prefix createdAt } } }',
  '{ ruleGroups { items { id name version } } }',
];

/** Rows of each table, each as sorted JSON text: what two backups must share. */
function tablesOf(file: string): Record<string, string[]> {
  const tables: Record<string, string[]> = {};
  let current = '';
  for (const line of gunzipSync(readFileSync(file)).toString('utf8').split('\n')) {
    if (line.startsWith('{"table":')) tables[(current = JSON.parse(line).table as string)] = [];
    else if (line.startsWith('{"row":')) tables[current]!.push(line);
  }
  for (const rows of Object.values(tables)) rows.sort();
  return tables;
}

/** Rewrites a backup through `edit` (of its lines) and gives it a matching checksum again: a well-formed file with other contents. */
function rewrite(source: string, target: string, edit: (lines: string[]) => string[]): void {
  const lines = edit(gunzipSync(readFileSync(source)).toString('utf8').split('\n').filter(Boolean));
  const body = lines.filter((l) => !l.startsWith('{"end":'));
  const hash = createHash('sha256');
  for (const l of body) hash.update(`${l}\n`);
  const end = JSON.parse(lines.find((l) => l.startsWith('{"end":'))!).end;
  writeFileSync(target, gzipSync(`${[...body, JSON.stringify({ end: { ...end, sha256: hash.digest('hex') } })].join('\n')}\n`));
}

describe('backup and restore', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aa-backup-'));
  const peer = new WebhookPeer();
  const redis = testRedisPrefix();
  const databases: TestDatabase[] = [];
  let source: TestServer;
  let sourceDb: TestDatabase;
  let admin: string;
  const pgEnv = (db: TestDatabase) => ({ DATABASE_URL: db.url, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, LOG_LEVEL: 'warn' });
  const embeddedEnv = (dataDir: string) => ({ DATA_DIR: dataDir, ENCRYPTION_KEY: TEST_ENCRYPTION_KEY, LOG_LEVEL: 'warn' });

  const newDatabase = async () => {
    const db = await createTestDatabase();
    databases.push(db);
    return db;
  };
  const fire = (i: number) => {
    const payload = validPayload();
    payload.groupKey = `{}:{alertname="Backup${i % 40}"}`;
    payload.alerts = [
      alert({
        labels: { alertname: `Backup${i % 40}`, severity: i % 3 ? 'warning' : 'critical', instance: `node-${i}` },
        fingerprint: (i + 1).toString(16).padStart(16, '0'),
      }),
    ];
    return fetch(`${source.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  };
  const download = async (server: { baseUrl: string }, token: string, file: string) => {
    const response = await fetch(`${server.baseUrl}/api/v1/backup`, { headers: { authorization: `Bearer ${token}` } });
    expect(response.status).toBe(200);
    await pipeline(Readable.fromWeb(response.body as import('node:stream/web').ReadableStream), createWriteStream(file));
  };
  /** Lists sorted by id: rows that tie on a page's sort order may come in either order from two databases. */
  const byId = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(byId).sort((a, b) => String((a as { id?: string }).id ?? '').localeCompare(String((b as { id?: string }).id ?? '')))
      : value && typeof value === 'object'
        ? Object.fromEntries(Object.entries(value).map(([k, v]) => [k, byId(v)]))
        : value;
  const answers = async (server: TestServer | ServeProcess, token: string) =>
    (await Promise.all(QUERIES.map((q) => ('gql' in server ? server.gql(q, {}, token) : postGraphQL(server.url, q, token))))).map(
      ({ status: _status, ...answer }) => byId(answer),
    ) as Array<{ data?: any; errors?: unknown[] }>;

  beforeAll(async () => {
    await peer.start();
    sourceDb = await newDatabase();
    source = await startTestServer({ DATABASE_URL: sourceDb.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    admin = await source.issueToken('admin', 'backup-admin');
    await source.issueToken('viewer', 'someone');
    const channelId = await createChannel(
      source,
      { name: 'oncall', type: 'webhook', config: { url: `${peer.baseUrl}/hook?secret=s3cr3t` } },
      admin,
    );
    await createRoute(source, { name: 'all', isDefault: true, channelIds: [channelId] }, admin);
    await source.gql(
      'mutation { createCluster(input: { name: "prod-eu", alertmanagerUrls: ["http://127.0.0.1:9"], labels: { region: "eu" } }) { cluster { id } } }',
      {},
      admin,
    );
  });

  afterAll(async () => {
    await source?.stop();
    await peer.stop();
    for (const db of databases) await db.drop();
    await redis.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('takes a consistent backup while alerts arrive, and every query answers the same after a restore to PostgreSQL or the embedded database', async () => {
    let sent = 0;
    const load = (async () => {
      const statuses: number[] = [];
      while (sent < 300) {
        const batch = Array.from({ length: 6 }, () => fire(sent++));
        statuses.push(...(await Promise.all(batch)).map((r) => r.status));
      }
      return statuses;
    })();
    await waitFor(async () => sent > 60, 'alerts arriving');
    const duringLoad = join(dir, 'during-load.backup.gz');
    await download(source, admin, duringLoad);
    expect((await load).every((s) => s === 200)).toBe(true);
    expect(sent).toBe(300);
    await waitFor(async () => {
      const { data } = await source.gql<{ alertRecords: { total: number } }>(
        '{ alertRecords(limit: 1, state: "delivered") { total } }',
        {},
        admin,
      );
      return data?.alertRecords.total === 300;
    }, 'every alert delivered');

    // The mid-load backup restores (its references hold: the restore puts every foreign key back) and comes back out unchanged.
    const midLoadDir = join(dir, 'mid-load');
    const restoredMid = await runCli(['restore', duringLoad], embeddedEnv(midLoadDir));
    expect(restoredMid.stderr).toBe('');
    expect(restoredMid.code).toBe(0);
    const again = join(dir, 'again.backup.gz');
    expect((await runCli(['backup', '--out', again], embeddedEnv(midLoadDir))).code).toBe(0);
    const [before, after] = [tablesOf(duringLoad), tablesOf(again)];
    const receipts = before.alert_receipt!.length;
    expect(receipts).toBeGreaterThan(0);
    expect(receipts).toBeLessThan(300);
    // The restore itself is audited; everything else came back row for row.
    expect({ ...after, audit_event: [] }).toEqual({ ...before, audit_event: [] });
    expect(after.audit_event!.filter((row) => !before.audit_event!.includes(row)).map((row) => JSON.parse(row).row.action)).toEqual([
      'backup.restored',
    ]);

    // After the load: a backup by the CLI from PostgreSQL while serving, into a new PostgreSQL database and into an embedded one.
    const quiet = join(dir, 'quiet.backup.gz');
    const written = await runCli(['backup', '--out', quiet], pgEnv(sourceDb));
    expect(written.code).toBe(0);
    expect(written.stdout).toMatch(/backup written to .*: \d+ tables, \d+ rows/);
    const expected = await answers(source, admin);
    expect(expected.flatMap((a) => a.errors ?? [])).toEqual([]);
    expect(expected[3]!.data!.alertRecords.total).toBe(300);

    const targetDb = await newDatabase();
    expect((await runCli(['restore', quiet], pgEnv(targetDb))).code).toBe(0);
    const onPostgres = await startTestServer({ DATABASE_URL: targetDb.url });
    try {
      expect(await answers(onPostgres, admin)).toEqual(expected);
      // The channel's sealed URL opens with the same key: a test message reaches the peer.
      const test = await onPostgres.gql(
        'mutation($id: ID!) { testChannel(id: $id) { status lastError } }',
        { id: expected[0]!.data!.channels.items[0].id },
        admin,
      );
      expect(test.data?.testChannel).toEqual({ status: 'DELIVERED', lastError: null });
    } finally {
      await onPostgres.stop();
    }

    const embeddedDir = join(dir, 'embedded');
    expect((await runCli(['restore', quiet], embeddedEnv(embeddedDir))).code).toBe(0);
    const onEmbedded = await startServeProcess(embeddedEnv(embeddedDir));
    try {
      expect(await answers(onEmbedded, admin)).toEqual(expected);
      // And back again: from the embedded database, through its server, into PostgreSQL.
      const fromEmbedded = join(dir, 'from-embedded.backup.gz');
      const viaServer = await runCli(['backup', '--out', fromEmbedded, '--server', onEmbedded.url.replace('/graphql', '')], {
        ALERTAGENT_TOKEN: admin,
      });
      expect(viaServer.stdout).toMatch(/backup written to .*; secrets sealed with key k1/);
      const backToPostgres = await newDatabase();
      expect((await runCli(['restore', fromEmbedded], pgEnv(backToPostgres))).code).toBe(0);
      const roundTrip = await startTestServer({ DATABASE_URL: backToPostgres.url });
      try {
        expect(await answers(roundTrip, admin)).toEqual(expected);
      } finally {
        await roundTrip.stop();
      }
    } finally {
      await onEmbedded.stop();
    }
  }, 240_000);

  it('brings a backup of an older schema forward to this release', async () => {
    const old = await newDatabase();
    expect((await runCli(['migrate', 'up'], pgEnv(old))).code).toBe(0);
    expect((await runCli(['migrate', 'down', '--steps', '3'], pgEnv(old))).code).toBe(0);
    const sql = new Client({ connectionString: old.url });
    await sql.connect();
    await sql.query(
      `insert into api_token (id, name, role, token_hash, prefix, created_at) values (gen_random_uuid(), 'from-the-old-release', 'viewer', 'h', 'aa_old', now())`,
    );
    await sql.end();
    const file = join(dir, 'older.backup.gz');
    expect((await runCli(['backup', '--out', file], pgEnv(old))).code).toBe(0);
    const target = await newDatabase();
    const restored = await runCli(['restore', file], pgEnv(target));
    expect(restored.code).toBe(0);
    expect(restored.stdout).toMatch(
      /restored 1 rows in \d+ tables from schema Migration\w+; then applied Migration\w+, Migration\w+, Migration\w+/,
    );
    expect((await runCli(['token', 'list'], pgEnv(target))).stdout).toMatch(/aa_old…\tviewer\tactive\tfrom-the-old-release/);
  });

  describe('refusals, with nothing written', () => {
    let good: string;
    beforeAll(async () => {
      good = join(dir, 'good.backup.gz');
      await download(source, admin, good);
    });

    const refusedIntoEmptyPostgres = async (file: string, env: Record<string, string> = {}) => {
      const db = await newDatabase();
      const result = await runCli(['restore', file], { ...pgEnv(db), ...env });
      const sql = new Client({ connectionString: db.url });
      await sql.connect();
      const tables = Number(
        (await sql.query(`select count(*) as n from information_schema.tables where table_schema = 'public'`)).rows[0].n,
      );
      await sql.end();
      return { ...result, tables };
    };

    it('refuses a truncated file, a foreign file and an altered file before touching the database', async () => {
      const bytes = readFileSync(good);
      const truncated = join(dir, 'truncated.gz');
      writeFileSync(truncated, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
      const cutAtLine = join(dir, 'cut-at-line.gz');
      writeFileSync(cutAtLine, gzipSync(`${gunzipSync(bytes).toString('utf8').split('\n').slice(0, 20).join('\n')}\n`));
      const foreignGzip = join(dir, 'foreign.gz');
      writeFileSync(foreignGzip, gzipSync('{"receiver":"team","alerts":[]}\n'));
      const notGzip = join(dir, 'dump.sql');
      writeFileSync(notGzip, 'CREATE TABLE x (id int);\n');
      const random = join(dir, 'random.bin');
      writeFileSync(random, randomBytes(4096));
      const altered = join(dir, 'altered.gz');
      writeFileSync(altered, gzipSync(gunzipSync(bytes).toString('utf8').replace('oncall', 'offcall')));

      const cases: Array<[string, RegExp]> = [
        [truncated, /not a complete AlertAgent backup: it ends part-way \(truncated\)/],
        [cutAtLine, /not a complete AlertAgent backup: it has no end line \(truncated\)/],
        [foreignGzip, /is not an AlertAgent backup/],
        [notGzip, /is not a complete AlertAgent backup: it is not gzip-compressed/],
        [random, /is not a complete AlertAgent backup: it is not gzip-compressed/],
        [altered, /do not match its checksum/],
        [join(dir, 'missing.gz'), /does not exist/],
      ];
      for (const [file, message] of cases) {
        const result = await refusedIntoEmptyPostgres(file);
        expect({ file, code: result.code, stderr: result.stderr }).toEqual({ file, code: 1, stderr: expect.stringMatching(message) });
        expect(result.tables).toBe(0);
      }
    }, 120_000);

    it('refuses a backup from a newer release, and one whose secrets need a key this installation lacks', async () => {
      const newer = join(dir, 'newer.gz');
      rewrite(good, newer, (lines) => {
        const header = JSON.parse(lines[0]!);
        header.header.migrations.push('Migration29990101000000_future');
        return [JSON.stringify(header), ...lines.slice(1)];
      });
      const fromNewer = await refusedIntoEmptyPostgres(newer);
      expect(fromNewer.stderr).toMatch(
        /migration Migration29990101000000_future, which this release does not know: it was made by a newer AlertAgent/,
      );
      expect(fromNewer.tables).toBe(0);

      const otherKey = randomBytes(32).toString('base64');
      const wrongKey = await refusedIntoEmptyPostgres(good, { ENCRYPTION_KEY: otherKey });
      expect(wrongKey.stderr).toMatch(
        /the configured encryption key "k1" is not the key the backup's secrets were sealed with .*nothing was written/,
      );
      expect(wrongKey.tables).toBe(0);
      const otherId = await refusedIntoEmptyPostgres(good, { ENCRYPTION_KEY: otherKey, ENCRYPTION_KEY_ID: 'k2' });
      expect(otherId.stderr).toMatch(/sealed with encryption key "k1", which is not configured here/);
      // The old key listed as a previous one is enough.
      const db = await newDatabase();
      expect(
        (
          await runCli(['restore', good], {
            ...pgEnv(db),
            ENCRYPTION_KEY: otherKey,
            ENCRYPTION_KEY_ID: 'k2',
            PREVIOUS_ENCRYPTION_KEYS: `k1:${TEST_ENCRYPTION_KEY}`,
          })
        ).code,
      ).toBe(0);
    }, 120_000);

    it('refuses to restore into a database that holds data, and changes nothing in it', async () => {
      const db = await newDatabase();
      expect((await runCli(['token', 'create', '--name', 'already-here'], pgEnv(db))).code).toBe(0);
      const result = await runCli(['restore', good], pgEnv(db));
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/the database is not empty \(table api_token has rows\).*nothing was written/);
      const sql = new Client({ connectionString: db.url });
      await sql.connect();
      const tokens = (await sql.query('select name from api_token')).rows.map((r) => r.name);
      await sql.end();
      expect(tokens).toEqual(['already-here']);
    });

    it('never leaves a partial file under the name asked for, and never overwrites one', async () => {
      const target = join(dir, 'exists.gz');
      writeFileSync(target, 'keep me');
      const refused = await runCli(['backup', '--out', target], pgEnv(sourceDb));
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/exists; choose a new file name/);
      expect(readFileSync(target, 'utf8')).toBe('keep me');

      const viewer = await source.issueToken('viewer', 'no-backups');
      const denied = await runCli(['backup', '--out', join(dir, 'denied.gz'), '--server', source.baseUrl], { ALERTAGENT_TOKEN: viewer });
      expect(denied.stderr).toMatch(/answered 403: .*backup:read/);
      expect(() => readFileSync(join(dir, 'denied.gz'))).toThrow();
      expect(() => readFileSync(join(dir, 'denied.gz.partial'))).toThrow();
      const anonymous = await fetch(`${source.baseUrl}/api/v1/backup`);
      expect(anonymous.status).toBe(401);
    });
  });
});
