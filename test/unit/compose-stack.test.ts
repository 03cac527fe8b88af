import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { ENVIRONMENT_VARIABLES } from '../../src/config';
import { AMTOOL_BINARY } from '../support/alertmanager';

const root = join(__dirname, '../..');

interface Service {
  image?: string;
  command?: string[];
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  depends_on?: Record<string, { condition: string }>;
}

/** The resolved file, as docker-compose itself reads it (anchors merged, variables filled in). */
function resolved(): { services: Record<string, Service>; volumes: Record<string, unknown> } {
  return parse(
    execFileSync('docker-compose', ['-f', join(root, 'compose.yaml'), 'config'], { encoding: 'utf8', env: { PATH: process.env.PATH } }),
  );
}

describe('compose.yaml (the demo stack)', () => {
  it('is accepted by docker-compose (config -q), without a daemon', () => {
    expect(
      execFileSync('docker-compose', ['-f', join(root, 'compose.yaml'), 'config', '-q'], {
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'pipe'],
      }),
    ).toBe('');
  });

  it('runs serve, worker, migrations, PostgreSQL, Redis, Unleash, Alertmanager and Prometheus each with its sidecar', () => {
    const { services } = resolved();
    expect(Object.keys(services).sort()).toEqual(
      [
        'alertagent',
        'alertagent-worker',
        'alertmanager',
        'alertmanager-sync',
        'echo',
        'init',
        'migrate',
        'postgres',
        'prometheus',
        'prometheus-sync',
        'redis',
        'setup',
        'unleash',
      ].sort(),
    );
    expect(services.alertagent!.command).toEqual(['serve']);
    expect(services['alertagent-worker']!.command).toEqual(['worker']);
    expect(services.alertagent!.environment!.WORKERS_IN_PROCESS).toBe('false');
    expect(services.alertmanager!.image).toBe('prom/alertmanager:v0.25.0');
    expect(services.prometheus!.image).toBe('prom/prometheus:v2.42.0');
    // Schema changes happen once, before anything serves.
    for (const name of ['alertagent', 'alertagent-worker'])
      expect(services[name]!.depends_on!.migrate).toEqual({ condition: 'service_completed_successfully' });
    expect(services.alertagent!.environment!.DATABASE_AUTO_MIGRATE).toBe('false');
    // Each sidecar owns the file its engine reads, on a shared volume, and reloads that engine.
    const sidecar = (name: string) =>
      Object.fromEntries(services[name]!.command!.filter((a) => a.startsWith('--')).map((a) => a.slice(2).split('=') as [string, string]));
    expect(sidecar('alertmanager-sync')).toMatchObject({
      kind: 'alertmanager',
      file: '/config/alertmanager.yml',
      'engine-url': 'http://alertmanager:9093',
      cluster: 'demo',
    });
    expect(sidecar('prometheus-sync')).toMatchObject({ kind: 'prometheus', 'engine-url': 'http://prometheus:9090', cluster: 'demo' });
    expect(services.alertmanager!.volumes!.some((v) => v.endsWith(':/config:rw') || v.endsWith(':/config'))).toBe(true);
    expect(services.prometheus!.command).toContain('--web.enable-lifecycle');
    const help = execFileSync(process.execPath, [join(root, 'dist/src/cli/main.js'), 'sidecar', '--help'], { encoding: 'utf8' });
    const known = new Set([...help.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!));
    for (const name of ['alertmanager-sync', 'prometheus-sync']) {
      expect({ name, unknown: Object.keys(sidecar(name)).filter((flag) => !known.has(`--${flag}`)) }).toEqual({ name, unknown: [] });
    }
  });

  it('gives AlertAgent only settings it knows, and the Unleash client token Unleash creates', () => {
    const { services } = resolved();
    const known = new Set<string>(ENVIRONMENT_VARIABLES.map((e) => e.env));
    for (const name of ['alertagent', 'alertagent-worker', 'migrate']) {
      expect({ name, unknown: Object.keys(services[name]!.environment!).filter((v) => !known.has(v)) }).toEqual({ name, unknown: [] });
    }
    expect(services.unleash!.environment!.INIT_CLIENT_API_TOKENS).toBe(services.alertagent!.environment!.UNLEASH_API_TOKEN);
  });

  it('mounts only files that exist, and its engine configs pass promtool and amtool', () => {
    const compose = readFileSync(join(root, 'compose.yaml'), 'utf8');
    for (const [, path] of compose.matchAll(/- (\.\/[^:\s]+):/g))
      expect({ path, exists: existsSync(join(root, path!)) }).toEqual({ path, exists: true });
    expect(
      execFileSync('promtool', ['check', 'config', '--syntax-only', join(root, 'deploy/compose/prometheus.yml')], { encoding: 'utf8' }),
    ).toContain('SUCCESS');
    expect(
      execFileSync(AMTOOL_BINARY, ['check-config', join(root, 'deploy/compose/alertmanager-seed.yml')], { encoding: 'utf8' }),
    ).toContain('SUCCESS');
  });
});
