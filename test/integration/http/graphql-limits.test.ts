import type { Client } from 'graphql-ws';
import WebSocket from 'ws';
import { startTestServer, type TestServer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { deadlineMiddleware } from '../../../src/graphql/operation-guard';
import { RequestLimits } from '../../../src/services/security/request-limits';
import { presetGrant } from '../../../src/services/security/permissions';
import { loadConfig } from '../../../src/config';
import type { GraphQLContext } from '../../../src/graphql/context';

async function post(server: TestServer, query: string, token?: string, headers: Record<string, string> = {}) {
  const response = await fetch(server.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers },
    body: JSON.stringify({ query }),
  });
  return {
    status: response.status,
    retryAfter: response.headers.get('retry-after'),
    body: (await response.json()) as { data?: any; errors?: Array<{ message: string; extensions?: Record<string, unknown> }> },
  };
}

function closedWith(client: Client): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => client.on('closed', (event) => resolve(event as { code: number; reason: string })));
}

describe('GraphQL cost control', () => {
  let db: TestDatabase;
  let server: TestServer;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('lets anyone ask for health and version, cheaply', async () => {
    const res = await post(server, '{ health { status } version { version } }');
    expect(res.status).toBe(200);
    expect(res.body.data.health.status).toBe('ok');
  });

  it('stops a document of thousands of aliases while parsing it, before anything runs', async () => {
    const res = await post(server, `{ ${Array.from({ length: 10_000 }, (_, i) => `a${i}: health { status }`).join(' ')} }`);
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]).toMatchObject({
      extensions: { code: 'GRAPHQL_PARSE_FAILED' },
      message: expect.stringMatching(/Document contains more th[ae][nt] 5000 tokens/),
    });
  });

  it('refuses more aliases or top-level fields than allowed, naming the limit', async () => {
    const aliases = await post(server, `{ health { ${Array.from({ length: 16 }, (_, i) => `s${i}: status`).join(' ')} } }`, viewer);
    expect(aliases.body.errors?.[0]).toMatchObject({
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      message: 'Aliases limit of 15 exceeded, found 16.',
    });
    const roots = await post(server, `{ ${Array.from({ length: 11 }, () => 'version { version }').join(' ')} }`, viewer);
    expect(roots.body.errors?.[0]).toMatchObject({
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      message: 'an operation may select at most 10 top-level fields; this one selects 11',
    });
  });

  it("refuses a query that costs more than the caller's role may spend, and says what it costs", async () => {
    const costly = await post(server, '{ alertRecords(limit: 500) { items { id analyses { id rootCause } } } }', viewer);
    expect(costly.status).toBe(400);
    expect(costly.body.errors?.[0]).toMatchObject({
      extensions: { code: 'GRAPHQL_VALIDATION_FAILED' },
      message: expect.stringMatching(/^this operation costs \d+; the viewer role may spend at most 2000 on one/),
    });
    const modest = await post(server, '{ alertRecords(limit: 20) { items { id analyses { id rootCause } } } }', viewer);
    expect(modest.body.errors).toBeUndefined();
  });

  it('asks for a token when an unauthenticated operation reaches past the public fields', async () => {
    const res = await post(server, '{ channels(limit: 100) { items { id name } } }');
    expect(res.status).toBe(401);
    expect(res.body.errors?.[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: expect.stringMatching(/send a bearer token$/),
    });
  });
});

describe('GraphQL rate limits', () => {
  let db: TestDatabase;
  let server: TestServer;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, GRAPHQL_REQUESTS_PER_MINUTE_PER_IP: '8', GRAPHQL_COST_PER_MINUTE: '220' });
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('limits the cost one token spends a minute, answering 429 RATE_LIMITED with Retry-After', async () => {
    // 1 + 50 × (1 + 1) = 101 each: two fit in 220, the third does not.
    const query = '{ channels(limit: 50) { items { id } } }';
    expect((await post(server, query, viewer, { 'x-forwarded-for': '10.1.0.1' })).status).toBe(200);
    expect((await post(server, query, viewer, { 'x-forwarded-for': '10.1.0.2' })).status).toBe(200);
    const limited = await post(server, query, viewer, { 'x-forwarded-for': '10.1.0.3' });
    expect(limited.status).toBe(429);
    expect(Number(limited.retryAfter)).toBeGreaterThan(0);
    expect(limited.body.errors?.[0]).toMatchObject({ extensions: { code: 'RATE_LIMITED', retryAfterSeconds: Number(limited.retryAfter) } });
  });

  it('limits requests per client address, believing X-Forwarded-For only from a trusted proxy', async () => {
    const from = (address: string) => post(server, '{ version { version } }', undefined, { 'x-forwarded-for': address });
    for (let i = 0; i < 8; i += 1) expect((await from('203.0.113.7')).status).toBe(200);
    const limited = await from('203.0.113.7');
    expect(limited.status).toBe(429);
    expect(limited.retryAfter).toMatch(/^\d+$/);
    expect(limited.body.errors?.[0].extensions?.code).toBe('RATE_LIMITED');
    // Another address is counted on its own.
    expect((await from('203.0.113.8')).status).toBe(200);
  });
});

describe('limits without a server', () => {
  it('holds each caller to its running slots and frees them when operations end', async () => {
    const config = loadConfig({ env: { GRAPHQL_MAX_CONCURRENT: '2' } });
    const limits = new RequestLimits(config.graphql, null, 'unit', 10);
    const caller = {
      principal: { kind: 'api-token' as const, id: 't1', name: 't1', role: 'viewer', grant: presetGrant('viewer') },
      ip: '10.0.0.1',
    };
    const first = await limits.admitOperation(caller, 1);
    await limits.admitOperation(caller, 1);
    await expect(limits.admitOperation(caller, 1)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    await expect(limits.admitOperation({ ...caller, principal: { ...caller.principal, id: 't2' } }, 1)).resolves.toBeInstanceOf(Function);
    first();
    await expect(limits.admitOperation(caller, 1)).resolves.toBeInstanceOf(Function);
  });

  it('lets one caller spend only so much a second, and has heavy operations take turns', async () => {
    const config = loadConfig({ env: { GRAPHQL_COST_PER_SECOND: '3000', GRAPHQL_HEAVY_COST: '1000', GRAPHQL_TIMEOUT_MS: '300' } });
    const limits = new RequestLimits(config.graphql, null, 'unit', 10);
    const caller = (id: string) => ({
      principal: { kind: 'api-token' as const, id, name: id, role: 'viewer', grant: presetGrant('viewer') },
      ip: '10.0.0.1',
    });
    const first = await limits.admitOperation(caller('a'), 1_500);
    // A second heavy operation (another caller) waits for the first one's turn to end.
    let secondStarted = false;
    const second = limits.admitOperation(caller('b'), 1_500).then((release) => ((secondStarted = true), release));
    await new Promise((r) => setTimeout(r, 50));
    expect(secondStarted).toBe(false);
    first();
    (await second)();
    expect(secondStarted).toBe(true);
    // One that waits past the time limit is refused.
    const holder = await limits.admitOperation(caller('c'), 1_000);
    await expect(limits.admitOperation(caller('d'), 1_000)).rejects.toMatchObject({ code: 'RATE_LIMITED', retryAfterSeconds: 1 });
    holder();
    // Caller a has spent 1,500 and 1,500 this second: 900 more is over its 3,000.
    (await limits.admitOperation(caller('a'), 1_500))();
    await expect(limits.admitOperation(caller('a'), 900)).rejects.toMatchObject({ code: 'RATE_LIMITED' });
  });

  it('lets only so many top-level query fields read at once, the rest in turn, and keeps two pooled connections free', async () => {
    const limits = new RequestLimits(loadConfig({ env: { GRAPHQL_READS_AT_ONCE: '3' } }).graphql, null, 'unit', 10);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const read = (i: number) =>
      limits.readTurn(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 20));
        running -= 1;
        order.push(i);
        if (i === 4) throw new Error('a failing read gives its turn back');
        return i;
      });
    const results = await Promise.allSettled(Array.from({ length: 10 }, (_, i) => read(i)));
    expect(peak).toBe(3);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(9);
    expect(order.slice(0, 3).sort()).toEqual([0, 1, 2]);
    // A pool of 4 leaves room for 2 reads, whatever the setting.
    const small = new RequestLimits(loadConfig({ env: { GRAPHQL_READS_AT_ONCE: '8' } }).graphql, null, 'unit', 4);
    running = 0;
    peak = 0;
    await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        small.readTurn(async () => {
          running += 1;
          peak = Math.max(peak, running);
          await new Promise((r) => setTimeout(r, 10));
          running -= 1;
          return i;
        }),
      ),
    );
    expect(peak).toBe(2);
  });

  it('starts no resolver past the operation deadline', async () => {
    const context = { deadline: Date.now() - 1 } as GraphQLContext;
    const info = { parentType: { name: 'Query' }, fieldName: 'channels' };
    expect(() => deadlineMiddleware({ context, info } as never, async () => 'ran')).toThrow(
      /ran past its time limit before Query\.channels could start/,
    );
    await expect(deadlineMiddleware({ context: { deadline: Date.now() + 10_000 }, info } as never, async () => 'ran')).resolves.toBe('ran');
  });
});

describe('graphql-ws connection limits', () => {
  let db: TestDatabase;
  let server: TestServer;
  let viewer: string;
  const connect = (token?: string) => server.wsClient(token);

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({
      DATABASE_URL: db.url,
      WS_MAX_CONNECTIONS_PER_CALLER: '2',
      WS_MAX_CONNECTIONS_PER_IP: '4',
      WS_IDLE_TIMEOUT_MS: '400',
    });
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('closes a connection with no operation once it has been idle', async () => {
    const client = connect(viewer);
    expect(await closedWith(client)).toMatchObject({ code: 4000, reason: expect.stringMatching(/^idle/) });
  });

  it('caps the connections of one token, then those of one address at the upgrade', async () => {
    const subscribe = (client: Client) =>
      client.subscribe({ query: 'subscription { gatewayEvents { type } }' }, { next: () => {}, error: () => {}, complete: () => {} });
    const connected = (client: Client) => new Promise<void>((resolve) => client.on('connected', () => resolve()));
    const first = connect(viewer);
    const second = connect(viewer);
    await Promise.all([connected(first), connected(second)]);
    subscribe(first);
    subscribe(second);
    const third = connect(viewer);
    expect(await closedWith(third)).toMatchObject({
      code: 4429,
      reason: expect.stringMatching(/has 2 subscription connections open already/),
    });

    const other = await server.issueToken('viewer', 'other-viewer');
    const others = [connect(other), connect(other)];
    await Promise.all(others.map(connected));
    others.forEach(subscribe);
    const refused = await new Promise<number>((resolve) => {
      const socket = new WebSocket(server.url.replace('http', 'ws'), 'graphql-transport-ws');
      socket.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
      socket.on('open', () => resolve(101));
    });
    expect(refused).toBe(429);
  });
});
