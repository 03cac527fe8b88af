import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../../src/config';
import { serve, type ServeHandle } from '../../../src/cli/serve';
import { createLogger } from '../../../src/shared/logger';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';
import { TEST_ENCRYPTION_KEY } from '../../support/env';

describe('configuration file reload while serving', () => {
  let db: TestDatabase;
  let handle: ServeHandle;
  const file = join(mkdtempSync(join(tmpdir(), 'aa-reload-')), 'alertagent.yaml');

  beforeAll(async () => {
    db = await createTestDatabase();
    writeFileSync(
      file,
      `database:\n  url: ${db.url}\nsecurity:\n  encryptionKey: ${TEST_ENCRYPTION_KEY}\nserver:\n  port: 0\nlog:\n  level: warn\n`,
    );
    const config = loadConfig({ env: {}, file });
    handle = await serve({ config, configFile: file, port: 0, logger: createLogger(config.log.level) });
  });

  afterAll(async () => {
    await handle?.stop();
    await db?.drop();
  });

  it('applies a new log level without a restart, to component loggers too', async () => {
    expect(handle.services.logger.isLevelEnabled('debug')).toBe(false);
    writeFileSync(
      file,
      `database:\n  url: ${db.url}\nsecurity:\n  encryptionKey: ${TEST_ENCRYPTION_KEY}\nserver:\n  port: 0\nlog:\n  level: debug\n`,
    );
    await waitFor(() => handle.services.logger.isLevelEnabled('debug'), 'the new level', 5_000);
    expect(handle.services.logger.child({ component: 'queue' }).isLevelEnabled('debug')).toBe(true);
  });

  it('ignores an edit that does not validate and keeps serving with the running values', async () => {
    writeFileSync(
      file,
      `database:\n  url: ${db.url}\nsecurity:\n  encryptionKey: ${TEST_ENCRYPTION_KEY}\nserver:\n  port: 0\nlog:\n  level: shouting\n`,
    );
    await new Promise((r) => setTimeout(r, 1_500));
    expect(handle.services.logger.level).toBe('debug');
    const response = await fetch(`http://127.0.0.1:${handle.server.port}/healthz`);
    expect(response.status).toBe(200);
  });
});
