import { nextResults, startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';
import { scrapeMetric } from '../../support/metrics';
import { waitFor } from '../../support/wait';

const AUDIT_SUBSCRIPTION = 'subscription { auditEventRecorded { actor action targetType targetId createdAt } }';

/**
 * Waits until the server runs the subscription. (Counting Redis subscribers of the event's channel
 * does not tell: every replica listens to audit events itself, for its caches.)
 */
async function waitForExecution(server: TestServer): Promise<void> {
  await waitFor(
    async () => ((await scrapeMetric(server.baseUrl, 'alertagent_subscription_executions')) ?? 0) >= 1,
    'the subscription running',
    5_000,
    20,
  );
}

describe('subscriptions across two replicas sharing PostgreSQL and Redis', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let first: TestServer;
  let second: TestServer;
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    const env = { DATABASE_URL: db.url, REDIS_URL: TEST_REDIS_URL, REDIS_KEY_PREFIX: redis.prefix };
    first = await startTestServer(env);
    second = await startTestServer(env);
    admin = await first.issueToken('admin');
  });

  afterAll(async () => {
    await first?.stop();
    await second?.stop();
    await db?.drop();
    await redis.cleanup();
  });

  it('streams an audit event caused through one replica to a graphql-ws subscriber of the other', async () => {
    const subscription = nextResults<{ auditEventRecorded: Record<string, string> }>(second.wsClient(admin), AUDIT_SUBSCRIPTION);
    await waitForExecution(second);

    const created = await first.gql(
      'mutation { createApiToken(input: { name: "dashboard", role: VIEWER }) { apiToken { id } } }',
      undefined,
      admin,
    );
    expect(created.errors).toBeUndefined();

    const [event] = await subscription.done;
    expect(event.errors).toBeUndefined();
    expect(event.data?.auditEventRecorded).toMatchObject({
      actor: 'api-token:test-admin',
      action: 'api-token.created',
      targetType: 'api-token',
      targetId: created.data!.createApiToken.apiToken.id,
    });
    expect(new Date(event.data!.auditEventRecorded.createdAt).getTime()).not.toBeNaN();
  });

  it('closes a graphql-ws connection without a token, saying what to send', async () => {
    const client = second.wsClient();
    const closed = await new Promise<{ code: number; reason: string }>((resolve) =>
      client.on('closed', (event) => resolve(event as { code: number; reason: string })),
    );
    expect(closed).toMatchObject({ code: 4401, reason: expect.stringMatching(/^subscriptions need a token/) });
  });

  it('refuses the subscription to a viewer with FORBIDDEN', async () => {
    const viewer = await second.issueToken('viewer', 'subscriber-viewer');
    const subscription = nextResults(second.wsClient(viewer), AUDIT_SUBSCRIPTION);
    const [result] = await subscription.done.catch((errors) => [{ errors }]);
    expect(result.errors?.[0].extensions?.code).toBe('FORBIDDEN');
  });

  it('closes a graphql-ws connection that presents a bad token', async () => {
    const client = second.wsClient('aat_forged');
    const closed = await new Promise<{ code: number }>((resolve) => client.on('closed', (event) => resolve(event as { code: number })));
    expect(closed.code).toBe(4401);
  });

  it('rejects an over-deep subscription document before executing it', async () => {
    const subscription = nextResults(
      second.wsClient(admin),
      `subscription { auditEventRecorded { actor ${'{ x '.repeat(12)}${'} '.repeat(12)}} }`,
    );
    const [result] = await subscription.done.catch((errors) => [{ errors }]);
    expect(result.errors?.map((e: { message: string }) => e.message)).toContain('Query depth limit of 12 exceeded, found 14.');
  });
});
