import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './cli-process';
import { spawnUntilReady } from './spawn-ready';

/** Debian names the binary prometheus-alertmanager; elsewhere it is alertmanager. */
export const ALERTMANAGER_BINARY = process.env.ALERTMANAGER_BINARY ?? 'prometheus-alertmanager';

export const AMTOOL_BINARY = ALERTMANAGER_BINARY === 'prometheus-alertmanager' ? 'amtool' : join(ALERTMANAGER_BINARY, '..', 'amtool');

/** `amtool check-config` on a config text: its verdict and what it printed. */
export function amtoolCheck(configYaml: string): { ok: boolean; output: string } {
  const dir = mkdtempSync(join(tmpdir(), 'aa-amtool-'));
  try {
    const file = join(dir, 'alertmanager.yml');
    writeFileSync(file, configYaml);
    const result = spawnSync(AMTOOL_BINARY, ['check-config', file], { encoding: 'utf8' });
    if (result.error) throw result.error;
    return { ok: result.status === 0, output: `${result.stdout}${result.stderr}` };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface RunningAlertmanager {
  url: string;
  /** The config file it runs (a sidecar may own it). */
  configFile: string;
  dir: string;
  status(): Promise<{ config: { original: string }; versionInfo: { version: string } }>;
  output(): string;
  postAlerts(alerts: unknown[]): Promise<Response>;
  stop(): Promise<void>;
}

/** Runs a real Alertmanager on loopback with the given config (clustering off, its own storage). */
export async function startAlertmanager(configYaml: string, timeoutMs = 20_000): Promise<RunningAlertmanager> {
  const dir = mkdtempSync(join(tmpdir(), 'aa-alertmanager-'));
  writeFileSync(join(dir, 'alertmanager.yml'), configYaml);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const { child, output, exited } = await spawnUntilReady(
    'alertmanager',
    ALERTMANAGER_BINARY,
    [
      `--config.file=${join(dir, 'alertmanager.yml')}`,
      `--storage.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--cluster.listen-address=',
      '--log.level=warn',
    ],
    `${url}/-/ready`,
    {},
    timeoutMs,
  );
  return {
    url,
    configFile: join(dir, 'alertmanager.yml'),
    dir,
    status: async () =>
      (await fetch(`${url}/api/v2/status`)).json() as Promise<{ config: { original: string }; versionInfo: { version: string } }>,
    output,
    postAlerts: (alerts) =>
      fetch(`${url}/api/v2/alerts`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(alerts) }),
    stop: async () => {
      child.kill('SIGTERM');
      await exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** An Alertmanager config whose one receiver is AlertAgent's webhook, with fast timers for tests. */
export function alertmanagerConfigFor(webhookUrl: string, token: string): string {
  return `route:
  receiver: alertagent
  group_by: ['alertname']
  group_wait: 200ms
  group_interval: 1s
  repeat_interval: 1h
receivers:
  - name: alertagent
    webhook_configs:
      - url: ${webhookUrl}
        send_resolved: true
        http_config:
          authorization:
            type: Bearer
            credentials: ${token}
`;
}
