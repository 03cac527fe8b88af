import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { scrapeMetric } from '../../support/metrics';
import { waitFor } from '../../support/wait';

const ALIASES = 1_000;
const ALERTNAME = `Slow${'x'.repeat(196)}`;

/**
 * A subscriber that stops reading costs the server at most WS_BUFFER_BYTES (plus the kernel's
 * socket buffers): results it cannot take are dropped for it and counted, the server's memory
 * does not follow what it was sent, and the connection stays usable.
 */
describe('a subscriber that stops reading', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    // Results of ~200 KB each (a thousand aliases of a 200-character alert name), so that a few
    // webhooks outgrow the kernel's socket buffers.
    server = await startTestServer({
      DATABASE_URL: db.url,
      WS_BUFFER_BYTES: String(8 * 1024 * 1024),
      GRAPHQL_MAX_ALIASES: String(ALIASES),
      GRAPHQL_MAX_TOKENS: '20000',
      GRAPHQL_COST_LIMITS: 'anonymous:200,viewer:100000,operator:100000,admin:100000',
    });
    admin = await server.issueToken('admin');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const dropped = async () => (await scrapeMetric(server.baseUrl, 'alertagent_subscription_events_dropped_total')) ?? 0;
  const post = (i: number) => {
    const payload = validPayload();
    payload.groupKey = `{}:{slow="${i}"}`;
    payload.alerts = Array.from({ length: 10 }, (_, j) => ({
      ...payload.alerts[0],
      labels: { alertname: ALERTNAME, n: `${i}-${j}` },
      fingerprint: `${String(i).padStart(8, '0')}${String(j).padStart(8, '0')}`,
    }));
    return fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  };

  it('drops what it cannot take, keeps server memory flat, and the connection alive', async () => {
    const client = new WebSocket(`${server.url.replace('http', 'ws')}`, 'graphql-transport-ws');
    let received = 0;
    let bytes = 0;
    client.on('message', (data: Buffer) => {
      const message = JSON.parse(data.toString()) as { type: string };
      if (message.type === 'connection_ack') {
        const fields = Array.from({ length: ALIASES }, (_, i) => `a${i}: alertname`).join(' ');
        client.send(JSON.stringify({ id: 'slow', type: 'subscribe', payload: { query: `subscription { gatewayEvents { ${fields} } }` } }));
      }
      if (message.type === 'next') {
        received += 1;
        bytes += data.length;
      }
      if (message.type === 'error') refused = data.toString();
    });
    let refused: string | null = null;
    await new Promise((resolve) => client.once('open', resolve));
    client.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${admin}` } }));

    await waitFor(
      async () => refused !== null || (await scrapeMetric(server.baseUrl, 'alertagent_subscription_executions')) === 1,
      'the subscription running',
    );
    expect(refused).toBeNull();

    // Reading, it gets every result.
    expect((await post(0)).status).toBe(200);
    await waitFor(() => received >= 20, 'the first results read');
    const perResult = bytes / received;
    expect(perResult).toBeGreaterThan(150_000);

    // It stops reading; ~80 MB of results are produced for it.
    (client as unknown as { _socket: { pause(): void } })._socket.pause();
    global.gc?.();
    const before = process.memoryUsage();
    for (let i = 1; i <= 20; i += 1) expect((await post(i)).status).toBe(200);
    await waitFor(async () => (await dropped()) > 0, 'results dropped for the stalled subscriber', 30_000, 200);
    // Most of the 400 results (~80 MB) are dropped: the server holds at most 8 MB for the socket, the kernel a few more.
    await waitFor(async () => (await dropped()) >= 300, 'most results of the twenty webhooks dropped', 30_000, 200);
    const after = process.memoryUsage();
    const grown = after.external + after.arrayBuffers - (before.external + before.arrayBuffers);
    expect(grown).toBeLessThan(24 * 1024 * 1024);

    // Reading again, it gets what was held and then new results.
    const seen = received;
    (client as unknown as { _socket: { resume(): void } })._socket.resume();
    await waitFor(() => received > seen, 'held results arrive once it reads again');
    const resumed = received;
    expect((await post(11)).status).toBe(200);
    await waitFor(() => received >= resumed + 20, 'new results after it caught up', 15_000);
    client.close();
  });
});
