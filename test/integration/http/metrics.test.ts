import { startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';

const METRICS_TOKEN = 'scrape-token-0123456789abcdef';

describe('/metrics', () => {
  let db: TestDatabase;
  let server: TestServer;
  let operator: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, METRICS_TOKEN });
    operator = await server.issueToken('operator');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const scrape = (token?: string) => fetch(`${server.baseUrl}/metrics`, { headers: token ? { authorization: `Bearer ${token}` } : {} });

  it('answers only a scraper with the metrics token when one is set', async () => {
    expect((await scrape()).status).toBe(401);
    expect((await scrape('wrong-token-0123456789abcdef')).status).toBe(401);
    const ok = await scrape(METRICS_TOKEN);
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('alertagent_http_request_duration_seconds');
  });

  it('keeps the label values alerts bring few: 200 clusters at most, known severities, the rest as other', async () => {
    const payload = validPayload();
    payload.alerts = Array.from({ length: 500 }, (_, i) => ({
      ...payload.alerts[0],
      labels: { alertname: 'Spray', cluster: `c-${i}-${'x'.repeat(100)}`, severity: `sev-${i}` },
      fingerprint: `spray${String(i).padStart(11, '0')}`,
    }));
    const response = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
    expect(response.status).toBe(200);
    const text = await waitFor(async () => {
      const body = await (await scrape(METRICS_TOKEN)).text();
      return body.includes('alertagent_gateway_alerts_total{stage="unrouted"') && body;
    }, 'the alerts counted');
    const received = text.split('\n').filter((line) => line.startsWith('alertagent_gateway_alerts_total{stage="received"'));
    const clusters = new Set(received.map((line) => /cluster="([^"]*)"/.exec(line)![1]));
    expect(clusters.size).toBeLessThanOrEqual(201);
    expect(clusters).toContain('other');
    expect([...clusters].every((c) => c.length <= 64)).toBe(true);
    expect(new Set(received.map((line) => /severity="([^"]*)"/.exec(line)![1]))).toEqual(new Set(['other']));
  });
});
