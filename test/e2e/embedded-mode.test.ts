import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { postGraphQL, runCli, startServeProcess, type ServeProcess } from '../support/cli-process';
import { validPayload } from '../support/alerts';

describe('alertagent serve on the embedded default (no PostgreSQL, no Redis)', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'aa-embedded-'));
  let server: ServeProcess | null = null;

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('boots, serves GraphQL, keeps data across a restart, and shuts down cleanly', async () => {
    server = await startServeProcess({ DATA_DIR: dataDir });

    const health = await postGraphQL(server.url, '{ health { status mode components { name status } } version { version } }');
    expect(health.data.health).toEqual({
      status: 'ok',
      mode: 'EMBEDDED',
      components: [
        { name: 'database', status: 'UP' },
        { name: 'redis', status: 'DISABLED' },
      ],
    });

    const tokenFile = join(dataDir, 'initial-admin-token');
    expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
    const initial = readFileSync(tokenFile, 'utf8').trim();
    const flags = await postGraphQL(server.url, '{ flags { name enabled source } }', initial);
    expect(flags.data.flags).toContainEqual({ name: 'analysis.enabled', enabled: false, source: 'DEFAULT' });

    const created = await postGraphQL(
      server.url,
      'mutation { createApiToken(input: { name: "kept", role: OPERATOR }) { token } }',
      initial,
    );
    const kept: string = created.data.createApiToken.token;

    expect(await server.stop()).toBe(0);
    server = await startServeProcess({ DATA_DIR: dataDir });

    const viewer = await postGraphQL(server.url, '{ viewer { name role } }', kept);
    expect(viewer.data.viewer).toEqual({ name: 'kept', role: 'OPERATOR' });
    const audit = await postGraphQL(server.url, '{ auditEvents(action: "api-token.created") { total } }', initial);
    expect(audit.data.auditEvents.total).toBe(2);
    expect(server.output()).not.toContain('created the initial admin API token');

    expect(await server.stop()).toBe(0);
    server = null;
  });

  it('lets the CLI issue a token into the embedded database while the server is stopped', async () => {
    const result = await runCli(['token', 'create', '--name', 'from-cli', '--role', 'viewer'], { DATA_DIR: dataDir });
    expect(result.code).toBe(0);
    const token = result.stdout.trim();
    expect(token).toMatch(/^aat_[A-Za-z0-9_-]{43}$/);

    server = await startServeProcess({ DATA_DIR: dataDir });
    const viewer = await postGraphQL(server.url, '{ viewer { name role } }', token);
    expect(viewer.data.viewer).toEqual({ name: 'from-cli', role: 'VIEWER' });
  });

  it('stores hostile webhooks whole and stays alive: 1,000-deep JSON in an unknown field, NUL characters, unpaired surrogates', async () => {
    server ??= await startServeProcess({ DATA_DIR: dataDir });
    const admin = readFileSync(join(dataDir, 'initial-admin-token'), 'utf8').trim();
    const post = (body: string) =>
      fetch(server!.url.replace('/graphql', '/api/v1/alerts/alertmanager'), {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body,
      });
    const payload = validPayload();
    payload.alerts[0].labels.instance = 'db\u0000-1';
    payload.alerts[0].annotations.summary = 'lone \udc00 half';
    const deep = `${'{"a":'.repeat(1_000)}1${'}'.repeat(1_000)}`;
    const hostile = await post(JSON.stringify({ ...payload, extra: 'DEEP' }).replace('"DEEP"', deep));
    expect(hostile.status).toBe(200);
    expect(((await hostile.json()) as { repairs: string[] }).repairs.length).toBeGreaterThan(0);
    const after = await post(JSON.stringify(validPayload()));
    expect(after.status).toBe(200);
    expect((await fetch(server.url.replace('/graphql', '/readyz'))).status).toBe(200);
    const records = await postGraphQL(server.url, '{ alertRecords(alertname: "DiskFull") { total } }', admin);
    expect(records.data.alertRecords.total).toBe(2);
  });

  it('reports migrations as applied', async () => {
    await server?.stop();
    server = null;
    const status = await runCli(['migrate', 'status'], { DATA_DIR: dataDir });
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/^executed {2}Migration\d+_security$/m);
    expect(existsSync(join(dataDir, 'pglite', 'PG_VERSION'))).toBe(true);
    expect(statSync(join(dataDir, 'encryption.key')).mode & 0o777).toBe(0o600);
  });

  it('refuses a second process on the same data directory, naming the one that holds it, for every command; a stale claim is taken over', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-embedded-lock-'));
    const first = await startServeProcess({ DATA_DIR: dir });
    try {
      const pid = first.child.pid!;
      for (const args of [['serve'], ['migrate', 'status'], ['token', 'create', '--name', 'x', '--role', 'viewer']]) {
        const second = await runCli(args, { DATA_DIR: dir, PORT: '0' });
        expect(second.code).not.toBe(0);
        expect(`${second.stdout}${second.stderr}`).toContain(`is in use by process ${pid}`);
      }
      // Killed hard, the first leaves its claim behind: the next process takes it over.
      first.child.kill('SIGKILL');
      await new Promise((r) => first.child.once('exit', r));
      expect(existsSync(join(dir, 'alertagent.pid'))).toBe(true);
      const status = await runCli(['migrate', 'status'], { DATA_DIR: dir });
      expect(status.code).toBe(0);
      expect(existsSync(join(dir, 'alertagent.pid'))).toBe(false);
    } finally {
      if (first.child.exitCode === null) await first.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 120_000);
});
