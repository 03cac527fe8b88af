import { Client } from 'pg';
import type { Migrator } from '@mikro-orm/migrations';
import { MIGRATIONS } from '../../../migrations';
import { createLogger } from '../../../src/shared/logger';
import { openStorage } from '../../../src/services/storage/orm';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';

/** Replicas started together on an empty database: one migrates (under an advisory lock), all come up. */
describe('replicas starting at once', () => {
  const redis = testRedisPrefix();
  const databases: TestDatabase[] = [];
  const servers: TestServer[] = [];

  afterEach(async () => {
    await Promise.all(servers.splice(0).map((s) => s.stop()));
  });

  afterAll(async () => {
    await Promise.all(databases.map((d) => d.drop()));
    await redis.cleanup();
  });

  async function race(db: TestDatabase): Promise<void> {
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix };
    const started = await Promise.allSettled([startTestServer(env), startTestServer(env), startTestServer(env)]);
    for (const result of started) if (result.status === 'fulfilled') servers.push(result.value);
    expect(started.map((r) => (r.status === 'rejected' ? String(r.reason) : 'up'))).toEqual(['up', 'up', 'up']);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      const rows = (await client.query('select "name", count(*)::int as "n" from "mikro_orm_migrations" group by "name"')).rows as Array<{
        name: string;
        n: number;
      }>;
      expect(rows.map((r) => r.name).sort()).toEqual(MIGRATIONS.map((m) => m.name).sort());
      expect(rows.every((r) => r.n === 1)).toBe(true);
    } finally {
      await client.end();
    }
    for (const server of servers) expect((await fetch(`${server.baseUrl}/readyz`)).status).toBe(200);
  }

  it('three replicas racing on an empty PostgreSQL all come up, and every migration runs exactly once', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    await race(db);
  }, 120_000);

  it('three replicas racing on a database of an older release migrate it forward once', async () => {
    const db = await createTestDatabase();
    databases.push(db);
    const older = await openStorage({ database: { url: db.url, dataDir: '', autoMigrate: false, poolMax: 2 } }, createLogger('silent'));
    await (older.orm.getMigrator() as Migrator).up({ to: MIGRATIONS[MIGRATIONS.length - 5].name });
    await older.close();
    await race(db);
  }, 120_000);
});
