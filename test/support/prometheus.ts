import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli-process';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? 'prometheus';

export interface RunningPrometheus {
  url: string;
  /** The rule file its config includes (a sidecar may own it). */
  ruleFile: string;
  ruleGroups(): Promise<Array<{ name: string; file: string; rules: Array<{ name: string; query: string; type: string }> }>>;
  output(): string;
  stop(): Promise<void>;
}

/** Runs a real Prometheus on loopback, with the lifecycle API on and one rule file (initially empty). */
export async function startPrometheus(timeoutMs = 30_000): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'aa-prometheus-'));
  const ruleFile = join(dir, 'alertagent-rules.yml');
  writeFileSync(ruleFile, 'groups: []\n');
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 1s\nrule_files:\n  - ${ruleFile}\n`);
  const port = await freePort();
  const child: ChildProcess = spawn(PROMETHEUS_BINARY, [
    `--config.file=${join(dir, 'prometheus.yml')}`,
    `--storage.tsdb.path=${join(dir, 'data')}`,
    `--web.listen-address=127.0.0.1:${port}`,
    '--web.enable-lifecycle',
    '--log.level=warn',
  ]);
  let output = '';
  child.stdout!.on('data', (c) => (output += c));
  child.stderr!.on('data', (c) => (output += c));
  const exited = new Promise<void>((resolve) => child.on('exit', () => resolve()));
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${output}`);
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`prometheus not ready in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url,
    ruleFile,
    ruleGroups: async () => ((await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: [] } }).data.groups,
    output: () => output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
