import { SignJWT } from 'jose';
import { startTestServer, type TestServer } from '../../support/app';
import { TEST_REDIS_URL } from '../../support/env';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { testRedisPrefix } from '../../support/redis';

const JWT_SECRET = 'a-test-secret-that-is-long-enough-for-hs256';

describe('GraphQL server on PostgreSQL and Redis', () => {
  let db: TestDatabase;
  const redis = testRedisPrefix();
  let server: TestServer;
  let admin: string;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({
      DATABASE_URL: db.url,
      REDIS_URL: TEST_REDIS_URL,
      REDIS_KEY_PREFIX: redis.prefix,
      AUTH_JWT_SECRET: JWT_SECRET,
      GRAPHQL_MAX_DEPTH: '3',
      BODY_LIMIT_BYTES: '20000',
    });
    admin = await server.issueToken('admin');
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
    await redis.cleanup();
  });

  describe('public queries', () => {
    it('answers health and version without a token, reporting both dependencies up', async () => {
      const res = await server.gql('{ health { status mode components { name status } } version { version node } }');
      expect(res.errors).toBeUndefined();
      expect(res.data?.health).toEqual({
        status: 'ok',
        mode: 'POSTGRES',
        components: [
          { name: 'database', status: 'UP' },
          { name: 'redis', status: 'UP' },
        ],
      });
      expect(res.data?.version.version).toMatch(/^\d+\.\d+\.\d+/);
    });

    it('serves /healthz, /readyz and Prometheus metrics with request histograms', async () => {
      expect((await fetch(`${server.baseUrl}/healthz`)).status).toBe(200);
      const ready = await fetch(`${server.baseUrl}/readyz`);
      expect(ready.status).toBe(200);
      const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
      expect(metrics).toContain('alertagent_http_request_duration_seconds_bucket');
      expect(metrics).toMatch(/alertagent_graphql_operation_duration_seconds_count\{[^}]*name="health"/);
      expect(metrics).toContain('alertagent_process_cpu_seconds_total');
    });

    it('echoes a sane request id from the proxy and makes one up otherwise', async () => {
      const given = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': 'abc-123' } });
      expect(given.headers.get('x-request-id')).toBe('abc-123');
      const made = await fetch(`${server.baseUrl}/healthz`, { headers: { 'x-request-id': 'bad id with spaces' } });
      expect(made.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    });
  });

  describe('authentication and roles', () => {
    it('refuses an unauthenticated mutation with UNAUTHENTICATED', async () => {
      const res = await server.gql('mutation { createApiToken(input: { name: "x", role: VIEWER }) { token } }');
      expect(res.errors?.[0].extensions?.code).toBe('UNAUTHENTICATED');
      expect(res.data).toBeNull();
    });

    it('refuses an unknown token with HTTP 401 and UNAUTHENTICATED', async () => {
      const res = await server.gql('{ flags { name } }', undefined, 'aat_not-a-real-token');
      expect(res.status).toBe(401);
      expect(res.errors?.[0]).toMatchObject({ message: 'invalid API token', extensions: { code: 'UNAUTHENTICATED' } });
    });

    it('refuses a malformed Authorization header with a message saying the expected form', async () => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Basic Zm9vOmJhcg==' },
        body: JSON.stringify({ query: '{ version { version } }' }),
      });
      expect(response.status).toBe(401);
      expect(((await response.json()) as any).errors[0].message).toBe('Authorization header must be "Bearer <token>"');
    });

    it('lets a viewer read flags but not create tokens (FORBIDDEN, naming the role needed)', async () => {
      const flags = await server.gql('{ flags { name enabled source phase } }', undefined, viewer);
      expect(flags.errors).toBeUndefined();
      expect(flags.data?.flags).toContainEqual({ name: 'gateway.convergence', enabled: false, source: 'DEFAULT', phase: 1 });
      const create = await server.gql('mutation { createApiToken(input: { name: "x", role: VIEWER }) { token } }', undefined, viewer);
      expect(create.errors?.[0].extensions?.code).toBe('FORBIDDEN');
      expect(create.errors?.[0].message).toBe(
        'Mutation.createApiToken needs the permission tokens:admin, which the role viewer does not hold',
      );
    });

    it('issues a token that works at once, and stops accepting it once revoked', async () => {
      const created = await server.gql(
        'mutation($input: CreateApiTokenInput!) { createApiToken(input: $input) { token apiToken { id name role prefix } } }',
        { input: { name: 'grafana', role: 'OPERATOR', expiresInDays: 30 } },
        admin,
      );
      expect(created.errors).toBeUndefined();
      const { token, apiToken } = created.data!.createApiToken;
      expect(token.startsWith(apiToken.prefix)).toBe(true);
      const me = await server.gql('{ viewer { name role kind } }', undefined, token);
      expect(me.data?.viewer).toEqual({ name: 'grafana', role: 'OPERATOR', kind: 'api-token' });

      const revoked = await server.gql('mutation($id: ID!) { revokeApiToken(id: $id) { revokedAt } }', { id: apiToken.id }, admin);
      expect(revoked.data?.revokeApiToken.revokedAt).toBeTruthy();
      const after = await server.gql('{ viewer { name } }', undefined, token);
      expect(after.status).toBe(401);
      expect(after.errors?.[0].message).toBe('API token has been revoked');
    });

    it('never returns the token secret or its hash when listing tokens', async () => {
      const res = await server.gql('{ apiTokens { items { name prefix } } }', undefined, admin);
      expect(res.errors).toBeUndefined();
      const names = res.data!.apiTokens.items.map((t: { name: string }) => t.name);
      expect(names).toEqual(expect.arrayContaining(['test-admin', 'test-viewer']));
      const introspection = await server.gql('{ __type(name: "ApiToken") { fields { name } } }');
      const fields = introspection.data!.__type.fields.map((f: { name: string }) => f.name);
      expect(fields).not.toContain('tokenHash');
      expect(fields).not.toContain('token');
    });

    it('records token changes in the audit trail with the acting principal', async () => {
      await server.gql('mutation { createApiToken(input: { name: "audited", role: VIEWER }) { token } }', undefined, admin);
      const res = await server.gql(
        '{ auditEvents(action: "api-token.created", limit: 5) { total items { actor action targetType details } } }',
        undefined,
        admin,
      );
      expect(res.errors).toBeUndefined();
      expect(res.data!.auditEvents.items[0]).toMatchObject({
        actor: 'api-token:test-admin',
        action: 'api-token.created',
        targetType: 'api-token',
        details: { name: 'audited', role: 'viewer' },
      });
    });

    it('refuses to revoke the last admin token, so access is never lost', async () => {
      const list = await server.gql('{ apiTokens { items { id role } } }', undefined, admin);
      const admins = list.data!.apiTokens.items.filter((t: { role: string }) => t.role === 'ADMIN');
      expect(admins).toHaveLength(1);
      const res = await server.gql('mutation($id: ID!) { revokeApiToken(id: $id) { id } }', { id: admins[0].id }, admin);
      expect(res.errors?.[0].extensions?.code).toBe('CONFLICT');
      expect(res.errors?.[0].message).toContain('last admin token');
    });

    it('answers NOT_FOUND for an unknown token id', async () => {
      const res = await server.gql(
        'mutation($id: ID!) { revokeApiToken(id: $id) { id } }',
        { id: '00000000-0000-4000-8000-000000000000' },
        admin,
      );
      expect(res.errors?.[0].extensions?.code).toBe('NOT_FOUND');
    });

    it('accepts a JWT signed with the configured secret and refuses a forged or expired one', async () => {
      const sign = (secret: string, expiresIn: string) =>
        new SignJWT({ role: 'operator', name: 'Ada' })
          .setProtectedHeader({ alg: 'HS256' })
          .setSubject('ada@example.org')
          .setIssuer('alertagent')
          .setIssuedAt()
          .setExpirationTime(expiresIn)
          .sign(new TextEncoder().encode(secret));
      const good = await server.gql('{ viewer { name role kind } }', undefined, await sign(JWT_SECRET, '5m'));
      expect(good.data?.viewer).toEqual({ name: 'Ada', role: 'OPERATOR', kind: 'jwt' });

      const forged = await server.gql('{ viewer { name } }', undefined, await sign('another-secret-that-is-long-enough!!', '5m'));
      expect(forged.status).toBe(401);
      expect(forged.errors?.[0].message).toBe('JWT signature or format is not valid');

      const expired = await server.gql('{ viewer { name } }', undefined, await sign(JWT_SECRET, '-1m'));
      expect(expired.errors?.[0].message).toBe('JWT has expired');
    });

    it('refuses a JWT that never expires or lives longer than allowed', async () => {
      const key = new TextEncoder().encode(JWT_SECRET);
      const base = () => new SignJWT({ role: 'viewer' }).setProtectedHeader({ alg: 'HS256' }).setSubject('svc').setIssuer('alertagent');
      const forever = await server.gql('{ viewer { name } }', undefined, await base().sign(key));
      expect(forever.errors?.[0]).toMatchObject({ extensions: { code: 'UNAUTHENTICATED' }, message: 'JWT claim "exp" is required' });
      const tooLong = await server.gql('{ viewer { name } }', undefined, await base().setIssuedAt().setExpirationTime('30d').sign(key));
      expect(tooLong.errors?.[0].message).toMatch(/^JWT lives 2592000 s; at most 86400 s is accepted/);
    });

    it('answers BAD_USER_INPUT, not INTERNAL, for an id that is not one and for NUL characters', async () => {
      const id = await server.gql('query($id: ID!) { channel(id: $id) { id } }', { id: 'not-a-uuid' }, admin);
      expect(id.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
        message: 'id: expected an id (a UUID), got "not-a-uuid"',
      });
      const nul = await server.gql('query($a: String) { alertRecords(alertname: $a) { total } }', { a: 'disk\u0000full' }, admin);
      expect(nul.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: 'alertname: contains a NUL character' });
      const nested = await server.gql(
        'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }',
        {
          i: { name: 'deep', type: 'webhook', config: JSON.parse(`${'{"a":'.repeat(40)}1${'}'.repeat(40)}`) },
        },
        admin,
      );
      expect(nested.errors?.[0]).toMatchObject({
        extensions: { code: 'BAD_USER_INPUT' },
        message: expect.stringMatching(/^input\.config\.a(\.a)+: nested deeper than 32 levels$/),
      });
    });
  });

  describe('bad input', () => {
    it('rejects invalid token input with BAD_USER_INPUT naming each field, and writes nothing', async () => {
      const before = await server.gql('{ apiTokens(includeRevoked: true) { items { id } } }', undefined, admin);
      const res = await server.gql(
        'mutation { createApiToken(input: { name: "  ", role: VIEWER, expiresInDays: 0 }) { token } }',
        undefined,
        admin,
      );
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
      const fields = (res.errors![0]!.extensions!.issues as Array<{ field: string }>).map((i) => i.field);
      expect(fields).toEqual(['input.name', 'input.expiresInDays']);
      const after = await server.gql('{ apiTokens(includeRevoked: true) { items { id } } }', undefined, admin);
      expect(after.data!.apiTokens.items).toHaveLength(before.data!.apiTokens.items.length);
    });

    it('rejects a wrongly typed variable with BAD_USER_INPUT', async () => {
      const res = await server.gql('query($limit: Int) { auditEvents(limit: $limit) { total } }', { limit: 'ten' }, admin);
      expect(res.status).toBe(400);
      expect(res.errors?.[0].extensions?.code).toBe('BAD_USER_INPUT');
    });

    it('rejects an out-of-range page size naming the argument', async () => {
      const res = await server.gql('{ auditEvents(limit: 5000) { total } }', undefined, admin);
      expect(res.errors?.[0]).toMatchObject({ message: 'limit: must be at most 500', extensions: { code: 'BAD_USER_INPUT' } });
    });

    it('rejects malformed GraphQL with GRAPHQL_PARSE_FAILED', async () => {
      const res = await server.gql('{ health { status ');
      expect(res.status).toBe(400);
      expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_PARSE_FAILED');
    });

    it('rejects an unknown field with GRAPHQL_VALIDATION_FAILED', async () => {
      const res = await server.gql('{ health { nope } }');
      expect(res.status).toBe(400);
      expect(res.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
      expect(res.errors?.[0].message).toContain('Cannot query field "nope"');
    });

    it('rejects a query deeper than the configured limit, counting through fragments', async () => {
      const atLimit = await server.gql('{ health { components { name } } }');
      expect(atLimit.errors).toBeUndefined();
      const tooDeep = await server.gql('{ ...F } fragment F on Query { health { components { name { deeper } } } }');
      expect(tooDeep.status).toBe(400);
      const depthError = tooDeep.errors?.find((e) => /depth/i.test(e.message));
      expect(depthError?.message).toBe('Query depth limit of 3 exceeded, found 4.');
      expect(depthError?.extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
    });

    it('rejects a body over the size limit with HTTP 413 and a GraphQL-shaped error', async () => {
      const response = await fetch(server.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: `{ version { version } } # ${'x'.repeat(30_000)}` }),
      });
      expect(response.status).toBe(413);
      const body = (await response.json()) as any;
      expect(body.errors[0]).toEqual({
        message: 'request body exceeds the limit of 20000 bytes',
        extensions: { code: 'PAYLOAD_TOO_LARGE' },
      });
    });

    it('rejects a body that is not JSON with HTTP 400', async () => {
      const response = await fetch(server.url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query": ' });
      expect(response.status).toBe(400);
      const body = (await response.json()) as any;
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].message).toMatch(/^request body is not valid JSON/);
    });

    it('answers an unknown route with a JSON 404', async () => {
      const response = await fetch(`${server.baseUrl}/nope`);
      expect(response.status).toBe(404);
      expect(((await response.json()) as any).errors[0].extensions.code).toBe('NOT_FOUND');
    });

    it('keeps serving after every kind of bad request', async () => {
      const res = await server.gql('{ version { version } }');
      expect(res.status).toBe(200);
      expect(res.data?.version.version).toBeTruthy();
    });
  });
});
