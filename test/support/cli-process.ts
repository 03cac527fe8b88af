import { spawn, type ChildProcess } from 'node:child_process';
import { spawnUntilReady } from './spawn-ready';
import { UNTHROTTLED } from './app-config';
import { TEST_ENCRYPTION_KEY, TEST_REDIS_URL } from './env';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';

/** The repository root, whether this file runs from test/support (Jest) or dist/test/support (benchmarks). */
const ROOT = ((dir) => (basename(dir) === 'dist' ? dirname(dir) : dir))(join(__dirname, '../..'));
export const CLI = join(ROOT, 'dist/src/cli/main.js');

/** A clean environment: nothing from the developer's shell (DATABASE_URL, REDIS_URL …) leaks into the child. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

/** What `serve` needs for the production mode on a test database and Redis key prefix, with an admin bootstrap token. */
export function productionServeEnv(databaseUrl: string, redisKeyPrefix: string, bootstrapToken: string): Record<string, string> {
  return {
    DATABASE_URL: databaseUrl,
    REDIS_URL: TEST_REDIS_URL,
    REDIS_KEY_PREFIX: redisKeyPrefix,
    ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
    AUTH_BOOTSTRAP_TOKEN: bootstrapToken,
  };
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a CLI command to completion. */
export function runCli(args: string[], env: Record<string, string>, timeoutMs = 60_000): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: childEnv(env) });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`alertagent ${args.join(' ')} did not finish in ${timeoutMs} ms\n${stdout}\n${stderr}`));
    }, timeoutMs);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

export interface ServeProcess {
  child: ChildProcess;
  url: string;
  output(): string;
  /** SIGTERM and wait; resolves with the exit code. */
  stop(): Promise<number | null>;
}

/** Starts `alertagent serve` and waits until /healthz answers. */
export async function startServeProcess(env: Record<string, string>, timeoutMs = 60_000): Promise<ServeProcess> {
  const port = await freePort();
  const base = `http://127.0.0.1:${port}`;
  // SERVE_WRAPPER names a script that runs the CLI under a profiler (e.g. node --cpu-prof) for benchmarks.
  const { child, output, exited } = await spawnUntilReady(
    'serve',
    process.env.SERVE_WRAPPER ?? process.execPath,
    process.env.SERVE_WRAPPER ? ['serve'] : [CLI, 'serve'],
    `${base}/healthz`,
    // Test peers listen on loopback, which production mode refuses by default (tests of the egress policy set their own).
    { env: childEnv({ LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', EGRESS_LOOPBACK: 'allow', ...UNTHROTTLED, ...env }) },
    timeoutMs,
  );
  return {
    child,
    url: `${base}/graphql`,
    output,
    stop: async () => {
      child.kill('SIGTERM');
      return exited;
    },
  };
}

export async function postGraphQL(url: string, query: string, token?: string): Promise<any> {
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify({ query }),
  });
  return response.json();
}

export interface SidecarProcess {
  child: ChildProcess;
  /** Base URL of its /metrics and /healthz. */
  url: string;
  output(): string;
  health(): Promise<{ appliedHash: string | null; consecutiveFailures: number; lastError: string | null }>;
  stop(): Promise<number | null>;
}

/** Starts `alertagent sidecar` with the token in its environment and waits until /healthz answers. */
export async function startSidecarProcess(args: string[], token: string, timeoutMs = 20_000): Promise<SidecarProcess> {
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, output, exited } = await spawnUntilReady(
    'sidecar',
    process.execPath,
    [CLI, 'sidecar', ...args, '--listen', `127.0.0.1:${port}`],
    `${url}/healthz`,
    { env: childEnv({ ALERTAGENT_SIDECAR_TOKEN: token }) },
    timeoutMs,
  );
  return {
    child,
    url,
    output,
    health: async () =>
      (await fetch(`${url}/healthz`)).json() as Promise<{
        appliedHash: string | null;
        consecutiveFailures: number;
        lastError: string | null;
      }>,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
