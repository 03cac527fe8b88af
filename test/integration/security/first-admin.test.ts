import { Writable } from 'node:stream';
import pino from 'pino';
import { serve } from '../../../src/cli/serve';
import { runCli } from '../../support/cli-process';
import { testConfig } from '../../support/app-config';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';

/** Production mode writes no token to disk: the log says how to get in, until an admin exists. */
describe('the first admin on PostgreSQL', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();

  beforeAll(async () => {
    db = await createTestDatabase();
  });
  afterAll(async () => {
    await db?.drop();
    await redis.cleanup();
  });

  async function startAndRead(): Promise<string> {
    let output = '';
    const sink = new Writable({ write: (chunk, _enc, done) => ((output += chunk), done()) });
    const config = testConfig({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    const handle = await serve({ config, port: 0, logger: pino({ level: 'warn' }, sink) });
    await handle.stop();
    return output;
  }

  it('points to `alertagent token create` while no admin exists, and stops once one does', async () => {
    expect(await startAndRead()).toContain('no admin can sign in yet: run `alertagent token create --name admin --role admin`');
    const created = await runCli(['token', 'create', '--name', 'admin', '--role', 'admin'], {
      DATABASE_URL: db.url,
      ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    });
    expect(created.code).toBe(0);
    expect(created.stdout.trim()).toMatch(/^aat_/);
    expect(await startAndRead()).not.toContain('no admin can sign in yet');
  }, 60_000);
});
