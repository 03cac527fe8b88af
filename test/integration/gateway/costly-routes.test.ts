import { createChannel } from '../../support/fixtures';
import { startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';

const ROUTE = 'mutation($i: RouteInput!) { createRoute(input: $i) { id } }';

/** A value on which `.*a.{500}.*a.{500}x` defeats RE2's DFA: seconds of matching on the event loop, were it run there. */
function adversarialValue(length: number): string {
  let seed = 42;
  let value = '';
  for (let i = 0; i < length; i += 1) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    value += seed % 2 === 0 ? 'a' : 'b';
  }
  return value;
}

describe('route regexes cannot stall the alert path', () => {
  let db: TestDatabase;
  let server: TestServer;
  let operator: string;
  const costlyPeer = new WebhookPeer();
  const fallbackPeer = new WebhookPeer();
  const post = (body: unknown) =>
    fetch(`${server.baseUrl}/api/v1/alerts/alertmanager`, {
      method: 'POST',
      headers: { authorization: `Bearer ${operator}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  beforeAll(async () => {
    db = await createTestDatabase();
    await costlyPeer.start();
    await fallbackPeer.start();
    // Long enough that a cheap alert on a loaded machine comes well inside it; the costly one waits it out.
    server = await startTestServer({ DATABASE_URL: db.url, GATEWAY_ROUTING_TIMEOUT_MS: '2000' });
    operator = await server.issueToken('operator');
    const channel = async (name: string, peer: WebhookPeer) =>
      await createChannel(server, { name, type: 'webhook', config: { url: `${peer.baseUrl}/h` } }, operator);
    const costly = await server.gql(
      ROUTE,
      { i: { name: 'costly', matchers: ['pod=~".*a.{500}.*a.{500}x"'], channelIds: [await channel('costly', costlyPeer)] } },
      operator,
    );
    expect(costly.errors).toBeUndefined();
    await server.gql(ROUTE, { i: { name: 'default', isDefault: true, channelIds: [await channel('fallback', fallbackPeer)] } }, operator);
  });

  afterAll(async () => {
    await server?.stop();
    await costlyPeer.stop();
    await fallbackPeer.stop();
    await db?.drop();
  });

  it('refuses a regex whose program is too large to match cheaply, naming the matcher', async () => {
    const res = await server.gql(ROUTE, { i: { name: 'huge', matchers: ['team="x"', 'pod=~".{0,999}.{0,999}.{0,999}"'] } }, operator);
    expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    expect(res.errors?.[0].message).toMatch(
      /^input\.matchers\.1: pod=~".*": regular expression too costly to match \(compiles to \d+ steps per character; at most 2000\)/,
    );
  });

  it('routes alerts whose labels make the regexes costly in a sandbox thread, and past its time limit by the default route, while other webhooks are answered', async () => {
    const costly = validPayload();
    costly.alerts[0].labels = { alertname: 'Costly', pod: adversarialValue(1_000_000) };
    costly.alerts[0].fingerprint = 'c0571c0571c0571c';
    const answer = await post(costly);
    expect(answer.status).toBe(200);

    // The event loop is free while the routing thread works: a cheap alert goes out first.
    const cheap = validPayload();
    cheap.alerts[0].labels = { alertname: 'Cheap', pod: 'api-1' };
    expect((await post(cheap)).status).toBe(200);
    await waitFor(() => fallbackPeer.accepted.some((a) => a.payload.alerts[0].labels.alertname === 'Cheap'), 'the cheap alert');
    expect(fallbackPeer.accepted.some((a) => a.payload.alerts[0].labels.alertname === 'Costly')).toBe(false);

    await waitFor(
      () => fallbackPeer.accepted.some((a) => a.payload.alerts[0].labels.alertname === 'Costly'),
      'the costly alert by the default route',
    );
    expect(costlyPeer.accepted).toHaveLength(0);
    const record = await waitFor(async () => {
      const items = (await server.gql('{ alertRecords(alertname: "Costly") { items { state routeNames } } }', undefined, operator)).data!
        .alertRecords.items;
      return items[0]?.state === 'delivered' && items[0];
    }, 'the costly record to settle');
    expect(record.routeNames).toEqual(['default']);
  });
});
