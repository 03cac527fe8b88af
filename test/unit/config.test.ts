import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from '../../src/config';

function yamlFile(content: string): string {
  const file = join(mkdtempSync(join(tmpdir(), 'aa-config-')), 'alertagent.yaml');
  writeFileSync(file, content);
  return file;
}

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('gives a working embedded default with no input at all', () => {
    const config = loadConfig({ env: {} });
    expect(config.server.port).toBe(4000);
    expect(config.database.url).toBeUndefined();
    expect(config.database.dataDir).toBe('./data');
    expect(config.redis.url).toBeUndefined();
    expect(config.log.level).toBe('info');
  });

  it('reads the YAML file and lets environment variables override it', () => {
    const file = yamlFile('server:\n  port: 5000\nlog:\n  level: debug\n');
    const config = loadConfig({ env: { LOG_LEVEL: 'warn' }, file });
    expect(config.server.port).toBe(5000);
    expect(config.log.level).toBe('warn');
  });

  it('takes the file from ALERTAGENT_CONFIG', () => {
    const file = yamlFile('graphql:\n  maxDepth: 7\n');
    expect(loadConfig({ env: { ALERTAGENT_CONFIG: file } }).graphql.maxDepth).toBe(7);
  });

  it('names the key, the variable and the value when an environment value is bad', () => {
    expect(problemsOf(() => loadConfig({ env: { PORT: 'eighty' } }))).toEqual([
      'server.port (env PORT): expected a whole number (got "eighty")',
    ]);
    expect(problemsOf(() => loadConfig({ env: { DATABASE_AUTO_MIGRATE: 'maybe' } }))).toEqual([
      'database.autoMigrate (env DATABASE_AUTO_MIGRATE): expected true or false (got "maybe")',
    ]);
  });

  it('lists every bad key at once, naming the file for values that came from it', () => {
    const file = yamlFile('server:\n  port: 70000\nredis:\n  url: http://cache:6379\n');
    expect(problemsOf(() => loadConfig({ env: {}, file }))).toEqual([
      `server.port (file ${file}): expected a port from 0 to 65535 (got 70000)`,
      `redis.url (file ${file}): expected a redis:// or rediss:// URL`,
    ]);
  });

  it('does not echo values of keys that may hold credentials', () => {
    const [problem] = problemsOf(() => loadConfig({ env: { AUTH_JWT_SECRET: 'short' } }));
    expect(problem).toBe('auth.jwtSecret (env AUTH_JWT_SECRET): must be at least 32 characters');
  });

  it('rejects a misspelt key in the file instead of silently ignoring it', () => {
    const file = yamlFile('databse:\n  url: postgres://x/y\n');
    expect(problemsOf(() => loadConfig({ env: {}, file }))[0]).toMatch(/databse/);
  });

  it('explains a file that is missing or not YAML', () => {
    expect(problemsOf(() => loadConfig({ env: {}, file: '/nonexistent/alertagent.yaml' }))).toEqual([
      'config file /nonexistent/alertagent.yaml: cannot be read (ENOENT)',
    ]);
    const broken = yamlFile('server: [port\n');
    expect(problemsOf(() => loadConfig({ env: {}, file: broken }))[0]).toMatch(/^config file .*: not valid YAML/);
  });

  it('accepts the usual spellings of booleans from the environment', () => {
    expect(loadConfig({ env: { GRAPHQL_INTROSPECTION: 'false' } }).graphql.introspection).toBe(false);
    expect(loadConfig({ env: { GRAPHQL_INTROSPECTION: 'No' } }).graphql.introspection).toBe(false);
    expect(loadConfig({ env: { WORKERS_IN_PROCESS: '1' } }).workers.inProcess).toBe(true);
  });

  it('refuses AI maturity thresholds out of range, naming each, and reads per-feature minimums', () => {
    expect(() =>
      loadConfig({
        env: {
          ANALYSIS_MATURITY_MIN_ACCURACY: '1.5',
          ANALYSIS_MATURITY_MAX_FAILURE_RATE: '-0.1',
          ANALYSIS_MATURITY_RECOVERY_MARGIN: '0.9',
        },
      }),
    ).toThrow(ConfigError);
    try {
      loadConfig({
        env: {
          ANALYSIS_MATURITY_MIN_ACCURACY: '1.5',
          ANALYSIS_MATURITY_MAX_FAILURE_RATE: '-0.1',
          ANALYSIS_MATURITY_FEATURE_MIN_ACCURACY: 'routing.smart=2',
        },
      });
    } catch (err) {
      const text = (err as Error).message;
      expect(text).toContain('ANALYSIS_MATURITY_MIN_ACCURACY');
      expect(text).toContain('ANALYSIS_MATURITY_MAX_FAILURE_RATE');
      expect(text).toContain('expected flag=accuracy pairs with an accuracy from 0 to 1');
    }
    expect(
      loadConfig({ env: { ANALYSIS_MATURITY_FEATURE_MIN_ACCURACY: 'analysis.remediation=0.9, routing.smart=0.75' } }).analysis
        .maturityFeatureMinAccuracy,
    ).toEqual({ 'analysis.remediation': 0.9, 'routing.smart': 0.75 });
  });
});
