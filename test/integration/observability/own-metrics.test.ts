import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { declaredMetrics, metricsInQuery } from '../../support/metrics';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { startPrometheus, type RunningPrometheus } from '../../support/prometheus';
import { testRedisPrefix } from '../../support/redis';
import { SidecarMetrics } from '../../../src/sidecar/config-sidecar';

const root = join(__dirname, '../../..');
const dashboard = JSON.parse(readFileSync(join(root, 'deploy/grafana/alertagent-dashboard.json'), 'utf8')) as {
  panels: Array<{ type: string; title: string; targets?: Array<{ expr: string }> }>;
};
const rules = (
  parse(readFileSync(join(root, 'helm/alertagent/files/alertagent-alerts.yaml'), 'utf8')) as {
    groups: Array<{ rules: Array<{ alert: string; expr: string }> }>;
  }
).groups.flatMap((g) => g.rules);
const queries = [
  ...dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ where: `dashboard panel "${p.title}"`, expr: t.expr }))),
  ...rules.map((r) => ({ where: `alert ${r.alert}`, expr: r.expr })),
];

/**
 * The Grafana dashboard (deploy/grafana) and the chart's alert rules query only metrics that
 * AlertAgent and its sidecar export, and every query parses in a real Prometheus.
 */
describe("queries on AlertAgent's own metrics", () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let prometheus: RunningPrometheus;
  let exported: Set<string>;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix });
    prometheus = await startPrometheus();
    const serverMetrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const sidecarMetrics = await new SidecarMetrics().registry.metrics();
    exported = new Set([...declaredMetrics(serverMetrics), ...declaredMetrics(sidecarMetrics)]);
  });

  afterAll(async () => {
    await prometheus?.stop();
    await server?.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('has panels that all query something', () => {
    const graphs = dashboard.panels.filter((p) => p.type !== 'row');
    expect(graphs.length).toBeGreaterThanOrEqual(18);
    expect(graphs.filter((p) => !p.targets?.length).map((p) => p.title)).toEqual([]);
  });

  it('uses only metrics that /metrics (serve) or the sidecar export', () => {
    const missing = queries.flatMap(({ where, expr }) =>
      metricsInQuery(expr, exported)
        .filter((name) => !exported.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(missing).toEqual([]);
    // And the check itself notices a name that does not exist.
    expect(metricsInQuery('rate(alertagent_no_such_thing_total[5m])', exported).filter((n) => !exported.has(n))).toEqual([
      'alertagent_no_such_thing_total',
    ]);
  });

  it('has queries that a real Prometheus parses', async () => {
    const refused: string[] = [];
    for (const { where, expr } of queries) {
      const query = expr.replaceAll('$__rate_interval', '5m');
      const answer = (await (await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(query)}`)).json()) as {
        status: string;
        error?: string;
      };
      if (answer.status !== 'success') refused.push(`${where}: ${answer.error}`);
    }
    expect(refused).toEqual([]);
  });
});
