import { routeAllTo } from '../../support/fixtures';
import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { TEST_REDIS_URL } from '../../support/env';
import { HttpPeer } from '../../support/peers/http-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { waitFor } from '../../support/wait';

/**
 * Intake is bounded by what waits for its first send: past GATEWAY_MAX_IN_FLIGHT_ALERTS a webhook
 * is refused with 503 and Retry-After before anything of it is stored or sent, and accepted again
 * once delivery has caught up. Nothing accepted is lost.
 */
describe('backpressure at the webhook', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let operator: string;
  /** A channel that answers only when the test lets it. */
  let holding = true;
  const held: Array<() => void> = [];
  const peer = new HttpPeer(async () => {
    if (holding) await new Promise<void>((resolve) => held.push(resolve));
    return { status: 200, body: { ok: true } };
  });
  const delivered = () =>
    peer.requests.flatMap((r) => (JSON.parse(r.body).alerts as Array<{ fingerprint: string }>).map((a) => a.fingerprint));

  const payloadOf = (group: string, count: number) => {
    const payload = validPayload();
    payload.groupKey = `{}:{group="${group}"}`;
    payload.alerts = Array.from({ length: count }, (_, i) => ({
      ...payload.alerts[0],
      labels: { alertname: `Load${group}`, severity: 'warning', i: String(i) },
      fingerprint: `${group}${String(i).padStart(15, '0')}`.slice(0, 16),
    }));
    return payload;
  };
  const post = (payload: unknown) =>
    fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  const records = async (alertname: string) =>
    (await server.gql(`{ alertRecords(alertname: "${alertname}") { total items { state } } }`, undefined, operator)).data!.alertRecords as {
      total: number;
      items: Array<{ state: string }>;
    };

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      GATEWAY_MAX_IN_FLIGHT_ALERTS: '4',
      GATEWAY_OVERLOAD_RETRY_AFTER_SECONDS: '2',
    });
    operator = await server.issueToken('operator');
    await routeAllTo(server, { name: 'held', type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, operator);
  });

  afterAll(async () => {
    holding = false;
    held.splice(0).forEach((release) => release());
    await server?.stop();
    await peer.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('answers 503 with Retry-After past the bound, stores and sends nothing of that webhook, and takes it once delivery catches up', async () => {
    const load = nextResults<{ gatewayLoad: { overloaded: boolean; inFlightAlerts: number; limit: number; refusedAlerts: number } }>(
      server.wsClient(operator),
      'subscription { gatewayLoad { overloaded inFlightAlerts limit refusedAlerts } }',
      2,
      20_000,
    );
    await new Promise((r) => setTimeout(r, 150));

    expect((await post(payloadOf('a', 3))).status).toBe(200);
    await waitFor(() => held.length === 1, 'the first send held by the channel');

    const refusedPayload = payloadOf('b', 2);
    const refused = await post(refusedPayload);
    expect(refused.status).toBe(503);
    expect(refused.headers.get('retry-after')).toBe('2');
    const body = (await refused.json()) as { errors: Array<{ message: string; extensions: { code: string; retryAfterSeconds: number } }> };
    expect(body.errors[0].extensions).toMatchObject({ code: 'OVERLOADED', retryAfterSeconds: 2 });
    expect(body.errors[0].message).toMatch(/holds 3 alerts not yet sent \(limit 4\)/);
    // Nothing of it stored or sent.
    expect((await records('Loadb')).total).toBe(0);
    expect(peer.requests).toHaveLength(1);

    const ready = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as { status: string; degradations: string[] };
    expect(ready.status).toBe('degraded');
    expect(ready.degradations.join('\n')).toMatch(/^intake: 3 alerts wait for their first send \(limit 4\)/m);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    expect(metrics).toMatch(/^alertagent_gateway_overloaded(\{[^}]*\})? 1$/m);
    expect(metrics).toMatch(/^alertagent_gateway_in_flight_alerts(\{[^}]*\})? 3$/m);
    expect(metrics).toMatch(/^alertagent_gateway_overload_refused_alerts_total(\{[^}]*\})? 2$/m);

    // The channel answers; Alertmanager's retry of the refused webhook gets through.
    holding = false;
    held.splice(0).forEach((release) => release());
    const retried = await waitFor(
      async () => (await post(refusedPayload)).status === 200,
      'the refused webhook accepted on a retry',
      10_000,
      200,
    );
    expect(retried).toBe(true);

    await waitFor(() => delivered().length === 5, 'all five alerts at the channel');
    expect(new Set(delivered()).size).toBe(5);
    for (const name of ['Loada', 'Loadb']) {
      await waitFor(
        async () => (await records(name)).items.every((r) => r.state === 'delivered') && (await records(name)).items.length > 0,
        `${name} delivered`,
      );
    }
    const events = await load.done;
    expect(events.map((e) => e.data!.gatewayLoad)).toEqual([
      { overloaded: true, inFlightAlerts: 3, limit: 4, refusedAlerts: 2 },
      { overloaded: false, inFlightAlerts: expect.any(Number), limit: 4, refusedAlerts: expect.any(Number) },
    ]);
    // In all: the first refusal and any retry that came before the channel had answered.
    expect(events[1].data!.gatewayLoad.refusedAlerts).toBeGreaterThanOrEqual(2);
    // Readiness is re-probed at most once a second.
    await waitFor(
      async () => {
        const after = (await (await fetch(`${server.baseUrl}/readyz`)).json()) as { degradations: string[] };
        return !after.degradations.some((d) => d.startsWith('intake:'));
      },
      'the overload gone from /readyz',
      5_000,
      200,
    );
  });

  it('always takes one webhook when nothing is held, however many alerts it carries', async () => {
    const big = payloadOf('c', 10);
    expect((await post(big)).status).toBe(200);
    await waitFor(async () => (await records('Loadc')).total === 10, 'ten records');
  });
});
