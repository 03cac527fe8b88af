import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/cli-process';
import { TEST_ENCRYPTION_KEY } from '../support/env';

describe('alertagent serve with bad configuration', () => {
  it('exits non-zero naming the bad key and the variable it came from', async () => {
    const result = await runCli(['serve'], { PORT: 'http', DATA_DIR: mkdtempSync(join(tmpdir(), 'aa-bad-')) });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('Invalid configuration:');
    expect(result.stderr).toContain('server.port (env PORT): expected a whole number (got "http")');
  });

  it('exits non-zero naming a bad key in the config file', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'aa-bad-')), 'alertagent.yaml');
    writeFileSync(file, 'log:\n  level: loud\n');
    const result = await runCli(['--config', file, 'serve'], {});
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/log\.level \(file .*alertagent\.yaml\): Invalid option: expected one of .*"info".* \(got "loud"\)/);
  });

  it('refuses to start on PostgreSQL without an encryption key for secrets, saying how to make one', async () => {
    const result = await runCli(['serve'], { DATABASE_URL: 'postgresql://nobody@127.0.0.1:1/none' });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('security.encryptionKey (env ENCRYPTION_KEY): required when database.url is set');
    expect(result.stderr).toContain('openssl rand -base64 32');
  });

  it('exits non-zero when the database cannot be reached, saying so', async () => {
    const result = await runCli(
      ['serve'],
      { DATABASE_URL: 'postgresql://nobody:hunter2@127.0.0.1:1/none', ENCRYPTION_KEY: TEST_ENCRYPTION_KEY },
      60_000,
    );
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('error: cannot connect to PostgreSQL at 127.0.0.1:1/none: connect ECONNREFUSED 127.0.0.1:1');
    expect(result.stderr).not.toContain('hunter2');
  });
});
