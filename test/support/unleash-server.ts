import { createServer } from 'node:net';
import { join } from 'node:path';
import { createTestDatabase, type TestDatabase } from './postgres';
import { spawnUntilReady, type ReadyProcess } from './spawn-ready';

const ENVIRONMENT = 'development';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/**
 * The real Unleash server (npm `unleash-server` 6.10) on a database of its own, driven through its
 * admin API the way an operator's automation would.
 */
export class UnleashServer {
  readonly adminToken = '*:*.alertagent-tests-admin';
  readonly clientToken = `*:${ENVIRONMENT}.alertagent-tests-client`;
  private process: ReadyProcess | null = null;
  private db: TestDatabase | null = null;
  private port = 0;

  /** The URL AlertAgent's UNLEASH_URL takes. */
  get apiUrl(): string {
    return `http://127.0.0.1:${this.port}/api`;
  }

  async start(): Promise<void> {
    this.db ??= await createTestDatabase();
    this.port ||= await freePort();
    this.process = await spawnUntilReady(
      'unleash-server',
      process.execPath,
      [join(__dirname, 'unleash-server-main.cjs')],
      `http://127.0.0.1:${this.port}/health`,
      {
        env: {
          ...process.env,
          UNLEASH_TEST_DATABASE_URL: this.db.url,
          UNLEASH_TEST_PORT: String(this.port),
          UNLEASH_TEST_ADMIN_TOKEN: this.adminToken,
          UNLEASH_TEST_CLIENT_TOKEN: this.clientToken,
        },
      },
      120_000,
    );
  }

  /** Stops the server; its database stays, so `start()` brings back the same toggles. */
  async stop(): Promise<void> {
    const running = this.process;
    this.process = null;
    if (!running) return;
    running.child.kill('SIGTERM');
    const ended = await Promise.race([running.exited.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 10_000))]);
    if (!ended) running.child.kill('SIGKILL');
  }

  async destroy(): Promise<void> {
    await this.stop();
    await this.db?.drop();
    this.db = null;
  }

  async admin(method: string, path: string, body?: unknown): Promise<unknown> {
    const response = await fetch(`http://127.0.0.1:${this.port}/api/admin${path}`, {
      method,
      headers: { authorization: this.adminToken, 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`unleash ${method} ${path}: ${response.status} ${text}`);
    return text ? JSON.parse(text) : null;
  }

  async createContextField(name: string): Promise<void> {
    await this.admin('POST', '/context', { name });
  }

  /** A toggle in the default project with one strategy in the client's environment, switched on or off. */
  async createToggle(
    name: string,
    enabled: boolean,
    strategy: { name: string; parameters?: Record<string, string>; constraints?: unknown[] } = { name: 'default' },
  ): Promise<void> {
    await this.admin('POST', '/projects/default/features', { name, type: 'release' });
    await this.admin('POST', `/projects/default/features/${encodeURIComponent(name)}/environments/${ENVIRONMENT}/strategies`, {
      parameters: {},
      constraints: [],
      ...strategy,
    });
    await this.setEnabled(name, enabled);
  }

  async setEnabled(name: string, enabled: boolean): Promise<void> {
    await this.admin(
      'POST',
      `/projects/default/features/${encodeURIComponent(name)}/environments/${ENVIRONMENT}/${enabled ? 'on' : 'off'}`,
    );
  }
}
