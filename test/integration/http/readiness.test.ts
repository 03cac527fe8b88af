import { startTestServer, type TestServer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

describe('readiness when Redis is unreachable', () => {
  let db: TestDatabase;
  let server: TestServer;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url, REDIS_URL: 'redis://127.0.0.1:1', REDIS_KEY_PREFIX: 'unreachable' });
  });

  afterAll(async () => {
    await db?.drop();
  });

  it('stays ready (alerts still flow) and says it is degraded, naming the component that is down and what works differently', async () => {
    expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.baseUrl}/readyz`);
    expect(ready.status).toBe(200);
    const body = (await ready.json()) as {
      status: string;
      degradations: string[];
      components: Array<{ name: string; status: string; error: string | null }>;
    };
    expect(body.status).toBe('degraded');
    expect(body.degradations.length).toBeGreaterThan(0);
    expect(body.components).toContainEqual({ name: 'database', status: 'up', latencyMs: expect.any(Number), error: null });
    expect(body.components).toContainEqual({
      name: 'redis',
      status: 'down',
      latencyMs: null,
      error: expect.stringMatching(/^not connected to Redis \((connecting|reconnecting|connect)\)$/),
    });
  });

  it('still answers GraphQL queries that need only the database', async () => {
    const res = await server.gql('{ health { status components { name status } } }');
    expect(res.data?.health.status).toBe('degraded');
  });

  it('shuts down within a bounded time even though Redis never answered', async () => {
    const started = Date.now();
    await server.stop();
    expect(Date.now() - started).toBeLessThan(15_000);
  });
});
