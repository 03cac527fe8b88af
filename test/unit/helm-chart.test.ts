import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Ajv from 'ajv';
import { parse, stringify } from 'yaml';
import { loadConfig } from '../../src/config';

const chart = join(__dirname, '../../helm/alertagent');
const templates = readdirSync(join(chart, 'templates')).map((file) => ({
  file,
  text: readFileSync(join(chart, 'templates', file), 'utf8'),
}));
const values = parse(readFileSync(join(chart, 'values.yaml'), 'utf8')) as Record<string, unknown>;
const schema = JSON.parse(readFileSync(join(chart, 'values.schema.json'), 'utf8'));
/** Values whose contents the chart passes on whole (toYaml), not key by key. */
const PASSED_WHOLE = [
  'config',
  'flagsBootstrap',
  'resources',
  'worker.resources',
  'migrations.resources',
  'alertmanager.resources',
  'alertmanager.sidecarResources',
  'podAnnotations',
  'nodeSelector',
  'tolerations',
  'affinity',
  'imagePullSecrets',
  'ingress.annotations',
  'ingress.hosts',
  'ingress.tls',
  'serviceMonitor.labels',
  'prometheusRule.labels',
  'serviceMonitor.metricsTokenSecret',
];

function leaves(value: unknown, prefix = ''): string[] {
  if (PASSED_WHOLE.includes(prefix) || value === null || typeof value !== 'object' || Array.isArray(value)) return [prefix];
  return Object.entries(value).flatMap(([key, inner]) => leaves(inner, prefix ? `${prefix}.${key}` : key));
}
const used = new Set(templates.flatMap(({ text }) => [...text.matchAll(/\.Values\.([A-Za-z0-9_.]+)/g)].map((m) => m[1]!)));

/**
 * No `helm` binary here, and no maintained Go-template renderer on npm: the chart is checked by
 * what can be checked without rendering it — its values against its schema, every value used and
 * every value used declared, template blocks balanced, and the files it ships (alert rules, the
 * config it writes) run through the real tools that read them.
 */
describe('helm/alertagent', () => {
  const validate = new Ajv({ allErrors: true, allowUnionTypes: true }).compile(schema);

  it('has default values that its values.schema.json accepts, and a schema that refuses wrong ones', () => {
    expect(validate(values) ? [] : validate.errors).toEqual([]);
    const wrong: Array<[string, Record<string, unknown>]> = [
      ['replicaCount 0', { ...values, replicaCount: 0 }],
      ['an unknown top-level key', { ...values, replicas: 2 }],
      ['a short encryption key', { ...values, secrets: { ...(values.secrets as object), encryptionKey: 'abc' } }],
      ['a MySQL URL', { ...values, secrets: { ...(values.secrets as object), databaseUrl: 'mysql://x' } }],
      ['an unknown worker key', { ...values, worker: { ...(values.worker as object), replicas: 2 } }],
    ];
    for (const [what, candidate] of wrong) expect({ what, valid: validate(candidate) }).toEqual({ what, valid: false });
  });

  it('uses every value it declares, and declares (in values.yaml and the schema) every value it uses', () => {
    const declared = leaves(values);
    expect(declared.filter((path) => !used.has(path) && ![...used].some((u) => u.startsWith(`${path}.`)))).toEqual([]);
    const inValues = (path: string) =>
      path
        .split('.')
        .reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), values) !==
      undefined;
    const inSchema = (path: string) =>
      path
        .split('.')
        .reduce<Record<string, any> | undefined>(
          (node, key) => node?.properties?.[key] ?? (node?.type === 'object' && !node.properties ? node : undefined),
          schema,
        ) !== undefined;
    expect([...used].filter((path) => !inValues(path))).toEqual([]);
    expect([...used].filter((path) => !inSchema(path))).toEqual([]);
  });

  it('has balanced template blocks and includes only templates it defines', () => {
    const defined = new Set([...templates.flatMap(({ text }) => [...text.matchAll(/\{\{-?\s*define "([^"]+)"/g)].map((m) => m[1]!))]);
    for (const { file, text } of templates) {
      const opened = [...text.matchAll(/\{\{-?\s*(if|range|with|define)\b/g)].length;
      const closed = [...text.matchAll(/\{\{-?\s*end\s*-?\}\}/g)].length;
      expect({ file, opened }).toEqual({ file, opened: closed });
      expect({ file, delimiters: (text.match(/\{\{/g) ?? []).length }).toEqual({ file, delimiters: (text.match(/\}\}/g) ?? []).length });
      const included = [...text.matchAll(/include "([^"]+)"/g)].map((m) => m[1]!);
      expect({ file, unknown: included.filter((name) => !defined.has(name)) }).toEqual({ file, unknown: [] });
    }
  });

  it('writes an alertagent.yaml that AlertAgent itself accepts with the default values', () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-chart-'));
    try {
      const unleash = values.unleash as { appName: string };
      const file = join(dir, 'alertagent.yaml');
      writeFileSync(join(dir, 'flags.yaml'), '{}\n');
      // As templates/configmap.yaml writes it: the config values, then the flags section.
      writeFileSync(
        file,
        stringify({ ...(values.config as object), flags: { unleashAppName: unleash.appName, bootstrapFile: join(dir, 'flags.yaml') } }),
      );
      const config = loadConfig({ file, env: {} });
      expect(config.log.level).toBe('info');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('ships alert rules that promtool accepts, for the PrometheusRule', () => {
    const rules = join(chart, 'files/alertagent-alerts.yaml');
    expect(execFileSync('promtool', ['check', 'rules', rules], { encoding: 'utf8' })).toContain('SUCCESS: 9 rules found');
    expect(readFileSync(join(chart, 'templates/prometheusrule.yaml'), 'utf8')).toContain('.Files.Get "files/alertagent-alerts.yaml"');
  });

  it('runs migrations in a pre-install/pre-upgrade Job with PostgreSQL, and then its pods do not migrate', () => {
    const job = templates.find((t) => t.file === 'migration-job.yaml')!.text;
    expect(job).toMatch(/helm\.sh\/hook: pre-install,pre-upgrade/);
    expect(job).toMatch(/args: \["migrate", "up"\]/);
    for (const file of ['deployment.yaml', 'worker-deployment.yaml']) {
      expect(templates.find((t) => t.file === file)!.text).toMatch(
        /if include "alertagent.migrationJob" \.[\s\S]*?DATABASE_AUTO_MIGRATE[\s\S]*?"false"/,
      );
    }
    expect(values.migrations).toMatchObject({ job: true });
  });
});

describe('helm/alertagent alertmanager (opt-in)', () => {
  it("runs the sidecar with flags `alertagent sidecar` accepts, beside Alertmanager, on the chart's Service", () => {
    const template = templates.find((t) => t.file === 'alertmanager.yaml')!.text;
    const sidecarArgs = template.slice(template.indexOf('- name: alertagent-sync'));
    const flags = [...sidecarArgs.matchAll(/^\s+- (--[a-z-]+)=/gm)].map((m) => m[1]!);
    const help = execFileSync(process.execPath, [join(__dirname, '../../dist/src/cli/main.js'), 'sidecar', '--help'], { encoding: 'utf8' });
    const known = new Set([...help.matchAll(/(--[a-z-]+)/g)].map((m) => m[1]!));
    expect(flags.length).toBeGreaterThanOrEqual(7);
    expect(flags.filter((f) => !known.has(f))).toEqual([]);
    expect(sidecarArgs).toContain('--server=http://{{ include "alertagent.fullname" . }}:{{ .Values.service.port }}');
    expect(sidecarArgs).toContain('--engine-url=http://localhost:9093');
    expect(template).toMatch(/fail "alertmanager.cluster:/);
  });
});
