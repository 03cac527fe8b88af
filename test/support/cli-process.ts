import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { basename, dirname, join } from 'node:path';

/** The repository root, whether this file runs from test/support (Jest) or dist/test/support (benchmarks). */
const ROOT = ((dir) => (basename(dir) === 'dist' ? dirname(dir) : dir))(join(__dirname, '../..'));
export const CLI = join(ROOT, 'dist/src/cli/main.js');

/** A clean environment: nothing from the developer's shell (DATABASE_URL, REDIS_URL …) leaks into the child. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
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
  // SERVE_WRAPPER names a script that runs the CLI under a profiler (e.g. node --cpu-prof) for benchmarks.
  const child = spawn(process.env.SERVE_WRAPPER ?? process.execPath, process.env.SERVE_WRAPPER ? ['serve'] : [CLI, 'serve'], { env: childEnv({ LOG_LEVEL: 'info', PORT: String(port), HOST: '127.0.0.1', ...env }) });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`serve exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${base}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`serve did not become healthy in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    child,
    url: `${base}/graphql`,
    output: () => output,
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
  const child = spawn(process.execPath, [CLI, 'sidecar', ...args, '--listen', `127.0.0.1:${port}`], { env: childEnv({ ALERTAGENT_SIDECAR_TOKEN: token }) });
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`sidecar exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/healthz`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`sidecar not up in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    child,
    url,
    output: () => output,
    health: async () => (await fetch(`${url}/healthz`)).json() as Promise<{ appliedHash: string | null; consecutiveFailures: number; lastError: string | null }>,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}
