import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alert, validPayload } from '../support/alerts';
import { postGraphQL, startServeProcess, type ServeProcess } from '../support/cli-process';
import { scrapeMetric } from '../support/metrics';
import { waitFor } from '../support/wait';

const ADMIN = 'unrouted-admin-token-0123456789abcdef';

/** An alert that matches no route is accepted (Alertmanager must not retry it) but never silent: a record, a metric and a warning. */
describe('alerts that match no route', () => {
  const dir = mkdtempSync(join(tmpdir(), 'aa-unrouted-'));
  let server: ServeProcess;

  beforeAll(async () => {
    server = await startServeProcess({ DATA_DIR: dir, AUTH_BOOTSTRAP_TOKEN: ADMIN, LOG_LEVEL: 'warn' });
    await postGraphQL(server.url, 'mutation { createRoute(input: { name: "databases", matchers: ["team=\\"db\\""] }) { id } }', ADMIN);
  });

  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('are recorded as unrouted, counted, and logged once a minute with their names', async () => {
    const base = server.url.replace('/graphql', '');
    for (const [index, name] of ['DiskFull', 'CertExpiring', 'DiskFull'].entries()) {
      const payload = validPayload();
      payload.alerts = [alert({ labels: { alertname: name, team: 'storage', instance: `node-${index}` }, fingerprint: (index + 1).toString(16).padStart(16, '0') })];
      const answer = await fetch(`${base}/api/v1/alerts/alertmanager`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify(payload) });
      expect(answer.status).toBe(200);
    }
    await waitFor(async () => (await scrapeMetric(base, 'alertagent_gateway_alerts_total', { stage: 'unrouted' })) === 3, 'three unrouted alerts counted');
    const records = await postGraphQL(server.url, '{ alertRecords(state: "unrouted") { total } }', ADMIN);
    expect(records.data.alertRecords.total).toBe(3);
    const warnings = server
      .output()
      .split('\n')
      .filter((line) => line.includes('alerts matched no route'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({ level: 40, alerts: 1, alertnames: ['DiskFull'], msg: expect.stringContaining('add a route, or mark one isDefault') });
  });
});
