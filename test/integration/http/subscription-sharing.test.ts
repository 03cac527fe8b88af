import { startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { scrapeMetric } from '../../support/metrics';
import { waitFor } from '../../support/wait';

/** Over graphql-ws, subscribers asking the same thing with the same rights share one execution. */
describe('shared subscription executions', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const executions = () => scrapeMetric(server.baseUrl, 'alertagent_subscription_executions');

  it('runs one execution per distinct query and rights, delivers to every subscriber, and ends it with the last', async () => {
    const viewers = await Promise.all([
      server.issueToken('viewer', 'v1'),
      server.issueToken('viewer', 'v2'),
      server.issueToken('viewer', 'v3'),
    ]);
    const admin = await server.issueToken('admin');
    const seen: string[][] = [[], [], [], []];
    const subscribe = (token: string, query: string, into: string[]) =>
      server.wsClient(token).subscribe<{ gatewayEvents: { type: string; alertname: string } }>(
        { query },
        {
          next: (r) => void into.push(`${r.data?.gatewayEvents.type}:${r.data?.gatewayEvents.alertname}`),
          error: () => {},
          complete: () => {},
        },
      );
    const same = 'subscription { gatewayEvents(status: "firing") { type alertname } }';
    const unsubscribe = [
      ...viewers.map((token, i) => subscribe(token, same, seen[i])),
      // Same query, other rights: an execution of its own.
      subscribe(admin, same, seen[3]),
    ];
    await waitFor(async () => (await executions()) === 2, 'two executions for four subscribers');

    const webhook = await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(validPayload()),
    });
    expect(webhook.status).toBe(200);
    await waitFor(() => seen.every((s) => s.includes('received:DiskFull')), 'the event at every subscriber');

    unsubscribe.forEach((stop) => stop());
    await waitFor(async () => (await executions()) === 0, 'executions ended with their last subscriber');
  });
});
