import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli-process';
import { spawnUntilReady } from './spawn-ready';

export const PROMETHEUS_BINARY = process.env.PROMETHEUS_BINARY ?? 'prometheus';

export interface RunningPrometheus {
  url: string;
  /** The rule file its config includes (a sidecar may own it). */
  ruleFile: string;
  ruleGroups(): Promise<Array<{ name: string; file: string; rules: Array<{ name: string; query: string; type: string }> }>>;
  output(): string;
  stop(): Promise<void>;
}

/** Runs a real Prometheus on loopback, with the lifecycle API on and one rule file (initially empty); alerts go to `alertmanagerUrl` when given. */
export async function startPrometheus(timeoutMs = 30_000, alertmanagerUrl?: string): Promise<RunningPrometheus> {
  const dir = mkdtempSync(join(tmpdir(), 'aa-prometheus-'));
  const ruleFile = join(dir, 'alertagent-rules.yml');
  writeFileSync(ruleFile, 'groups: []\n');
  const alerting = alertmanagerUrl
    ? `alerting:\n  alertmanagers:\n    - static_configs:\n        - targets: ["${new URL(alertmanagerUrl).host}"]\n`
    : '';
  writeFileSync(join(dir, 'prometheus.yml'), `global:\n  evaluation_interval: 1s\nrule_files:\n  - ${ruleFile}\n${alerting}`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, output, exited } = await spawnUntilReady(
    'prometheus',
    PROMETHEUS_BINARY,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
      '--log.level=warn',
    ],
    `${url}/-/ready`,
    {},
    timeoutMs,
  );
  return {
    url,
    ruleFile,
    ruleGroups: async () => ((await (await fetch(`${url}/api/v1/rules`)).json()) as { data: { groups: [] } }).data.groups,
    output,
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
