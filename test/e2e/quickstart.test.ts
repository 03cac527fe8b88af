import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startServeProcess, type ServeProcess } from '../support/cli-process';

const SCRIPT = join(__dirname, '../../examples/quickstart.sh');

function quickstart(url: string, env: Record<string, string>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile('bash', [SCRIPT, url], { env: { PATH: process.env.PATH, ...env }, cwd: tmpdir(), timeout: 30_000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, stdout, stderr }),
    );
  });
}

/** examples/quickstart.sh against a real embedded server whose DATA_DIR is not ./data. */
describe('examples/quickstart.sh', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-quickstart-'));
  let server: ServeProcess;

  beforeAll(async () => {
    server = await startServeProcess({ DATA_DIR: dataDir });
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("finds the initial admin token in the server's DATA_DIR and runs every call", async () => {
    const result = await quickstart(server.url, { DATA_DIR: dataDir });
    expect(result.stderr).toBe('');
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('"status":"ok"');
    expect(result.stdout).toContain('"createApiToken"');
    expect(result.stdout).not.toContain('"errors"');
  });

  it('says how to pass a token when it has none', async () => {
    const result = await quickstart(server.url, { DATA_DIR: join(dataDir, 'elsewhere') });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/no token: set ALERTAGENT_TOKEN=<an admin token>/);
  });
});
