import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { alert, validPayload } from '../support/alerts';
import { postGraphQL, startServeProcess, type ServeProcess } from '../support/cli-process';
import { scrapeMetric } from '../support/metrics';
import { startTestServer } from '../support/app';
import { WebhookPeer } from '../support/peers/webhook-peer';
import { createTestDatabase } from '../support/postgres';
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
      payload.alerts = [
        alert({
          labels: { alertname: name, team: 'storage', instance: `node-${index}` },
          fingerprint: (index + 1).toString(16).padStart(16, '0'),
        }),
      ];
      const answer = await fetch(`${base}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      expect(answer.status).toBe(200);
    }
    await waitFor(
      async () => (await scrapeMetric(base, 'alertagent_gateway_alerts_total', { stage: 'unrouted' })) === 3,
      'three unrouted alerts counted',
    );
    const records = await postGraphQL(server.url, '{ alertRecords(state: "unrouted") { total } }', ADMIN);
    expect(records.data.alertRecords.total).toBe(3);
    const warnings = server
      .output()
      .split('\n')
      .filter((line) => line.includes('alerts matched no route'));
    expect(warnings).toHaveLength(1);
    expect(JSON.parse(warnings[0]!)).toMatchObject({
      level: 40,
      alerts: 1,
      alertnames: ['DiskFull'],
      msg: expect.stringContaining('add a route, or mark one isDefault'),
    });
  });
});

/** DEFAULT_ROUTE_WEBHOOK_URL: an installation with no route starts with a fallback route, and only then. */
describe('the default route created at start', () => {
  const peer = new WebhookPeer();

  beforeAll(() => peer.start());
  afterAll(() => peer.stop());

  it('is created while no route exists, takes every unmatched alert, and is never made twice or over routes someone made', async () => {
    const db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, DEFAULT_ROUTE_WEBHOOK_URL: `${peer.baseUrl}/fallback`, EGRESS_LOOPBACK: 'allow' };
    try {
      let server = await startTestServer(env);
      const admin = await server.issueToken('admin');
      const routes = async () =>
        (await server.gql('{ routes { items { name isDefault matchers channelIds } } }', {}, admin)).data!.routes.items;
      const [route] = await routes();
      expect(route).toMatchObject({ name: 'default', isDefault: true, matchers: [] });
      const payload = validPayload();
      payload.alerts = [alert({ labels: { alertname: 'NobodyOwnsThis', team: 'nobody' } })];
      const answer = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
      expect(answer.status).toBe(200);
      await waitFor(
        async () => peer.accepted.some((r) => JSON.stringify(r.payload).includes('NobodyOwnsThis')),
        'the unmatched alert at the default route',
      );
      await server.stop();
      server = await startTestServer(env);
      expect(await routes()).toHaveLength(1);
      await server.gql(
        'mutation($id: ID!) { deleteRoute(id: $id) }',
        { id: (await server.gql('{ routes { items { id } } }', {}, admin)).data!.routes.items[0].id },
        admin,
      );
      await server.gql('mutation { createRoute(input: { name: "databases", matchers: ["team=\\"db\\""] }) { id } }', {}, admin);
      await server.stop();
      server = await startTestServer(env);
      expect((await routes()).map((r: { name: string }) => r.name)).toEqual(['databases']);
      await server.stop();
    } finally {
      await db.drop();
    }
  });

  it('refuses to start with a default route URL it may not reach, saying why', async () => {
    const db = await createTestDatabase();
    try {
      await expect(
        startTestServer({ DATABASE_URL: db.url, DEFAULT_ROUTE_WEBHOOK_URL: 'http://127.0.0.1:9/hook', EGRESS_LOOPBACK: 'deny' }),
      ).rejects.toThrow(/^DEFAULT_ROUTE_WEBHOOK_URL: .*loopback/);
    } finally {
      await db.drop();
    }
  });
});
