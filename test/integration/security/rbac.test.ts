import { createChannel } from '../../support/fixtures';
import 'reflect-metadata';
import { getMetadataStorage } from 'type-graphql';
import {
  getNamedType,
  isEnumType,
  isInputObjectType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  isUnionType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { Client } from 'pg';
import { buildAppSchema } from '../../../src/schema/build-schema';
import { PRESETS, type Permission } from '../../../src/services/security/permissions';
import { startTestServer, type TestServer } from '../../support/app';
import { validPayload } from '../../support/alerts';
import { WebhookPeer } from '../../support/peers/webhook-peer';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { waitFor } from '../../support/wait';

const ROLE = 'mutation($i: AccessRoleInput!) { createAccessRole(input: $i) { id name permissions } }';
const TOKEN = 'mutation($i: CreateApiTokenInput!) { createApiToken(input: $i) { token } }';
const DENIED = new Set(['FORBIDDEN', 'UNAUTHENTICATED']);

/** Operations whose permission the channel service decides (a group's manage role can stand in for it). */
const SERVICE_CHECKED: Record<string, Permission> = {
  createChannel: 'channels:write',
  updateChannel: 'channels:write',
  deleteChannel: 'channels:write',
  createChannelGroup: 'channels:write',
  deleteChannelGroup: 'channels:write',
  testChannel: 'channels:test',
};

/** A literal for an argument type, good enough to get past GraphQL validation (the service may still refuse it). */
function literal(type: GraphQLInputType, ids: Record<string, string>, name: string): string {
  if (isNonNullType(type)) return literal(type.ofType, ids, name);
  if (isListType(type)) return `[${literal(type.ofType, ids, name)}]`;
  if (isEnumType(type)) return type.getValues()[0].name;
  if (isInputObjectType(type)) {
    const fields = Object.values(type.getFields()).filter((f) => isNonNullType(f.type));
    return `{ ${fields.map((f) => `${f.name}: ${literal(f.type, ids, f.name)}`).join(', ')} }`;
  }
  if (isScalarType(type)) {
    switch (type.name) {
      case 'ID':
        return JSON.stringify(ids[name] ?? ids.id ?? '00000000-0000-4000-8000-000000000000');
      case 'Int':
      case 'Float':
        return '1';
      case 'Boolean':
        return 'true';
      case 'JSONObject':
        return '{}';
      case 'DateTimeISO':
        return '"2026-01-01T00:00:00Z"';
      default:
        return '"x"';
    }
  }
  return 'null';
}

function operation(kind: 'query' | 'mutation', field: GraphQLField<unknown, unknown>, ids: Record<string, string>): string {
  const args = field.args.filter((a) => isNonNullType(a.type) && a.defaultValue === undefined);
  const argText = args.length > 0 ? `(${args.map((a) => `${a.name}: ${literal(a.type, ids, a.name)}`).join(', ')})` : '';
  const named = getNamedType(field.type);
  const selection = isObjectType(named) || isUnionType(named) ? ' { __typename }' : '';
  return `${kind} { ${field.name}${argText}${selection} }`;
}

/** The permission each root operation is declared with ('' for "any authenticated caller"); public operations are absent. */
function declaredPermissions(): Map<string, string> {
  const storage = getMetadataStorage();
  const declared = new Map<string, string>();
  for (const handler of [...storage.queries, ...storage.mutations]) {
    const authorized = storage.authorizedFields.find((a) => a.target === handler.target && a.fieldName === handler.methodName);
    if (authorized) declared.set(handler.schemaName, (authorized.roles[0] as string | undefined) ?? '');
  }
  return declared;
}

describe('role-based access: every operation for every role', () => {
  let db: TestDatabase;
  let server: TestServer;
  let schema: GraphQLSchema;
  const peer = new WebhookPeer();
  const tokens: Record<string, string | undefined> = {};
  const grants: Record<string, ReadonlySet<Permission> | null> = {};
  let admin: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({
      DATABASE_URL: db.url,
      GRAPHQL_COST_PER_MINUTE: '10000000',
      GRAPHQL_REQUESTS_PER_MINUTE_PER_IP: '1000000',
    });
    schema = await buildAppSchema();
    admin = await server.issueToken('admin');
    tokens.none = undefined;
    grants.none = null;
    for (const role of ['viewer', 'operator', 'admin'] as const) {
      tokens[role] = role === 'admin' ? admin : await server.issueToken(role);
      grants[role] = new Set(PRESETS[role]);
    }
    for (const [name, permissions] of [
      ['auditor', ['audit:read', 'clusters:read'] as Permission[]],
      ['flag-reader', ['flags:read'] as Permission[]],
    ] as const) {
      const created = await server.gql(ROLE, { i: { name, permissions } }, admin);
      expect(created.errors).toBeUndefined();
      tokens[name] = (await server.gql(TOKEN, { i: { name: `${name}-token`, customRole: name } }, admin)).data!.createApiToken.token;
      grants[name] = new Set(permissions);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
  });

  /** A fresh channel (and group) for operations that change or use one. */
  async function fixtures(): Promise<Record<string, string>> {
    const suffix = Math.random().toString(36).slice(2, 8);
    const group = (await server.gql(`mutation { createChannelGroup(input: { name: "g-${suffix}" }) { id } }`, undefined, admin)).data!
      .createChannelGroup.id;
    const channel = await createChannel(
      server,
      { name: `c-${suffix}`, type: 'webhook', config: { url: `${peer.baseUrl}/h` }, groupId: group },
      admin,
    );
    return { id: channel, groupId: group };
  }

  it('grants exactly what each role holds, over every query and mutation', async () => {
    const declared = declaredPermissions();
    const roots: Array<['query' | 'mutation', GraphQLField<unknown, unknown>]> = [
      ...Object.values(schema.getQueryType()!.getFields()).map((f) => ['query', f] as ['query', GraphQLField<unknown, unknown>]),
      ...Object.values(schema.getMutationType()!.getFields()).map((f) => ['mutation', f] as ['mutation', GraphQLField<unknown, unknown>]),
    ];
    const violations: string[] = [];
    let calls = 0;
    for (const [kind, field] of roots) {
      const publicField = !declared.has(field.name);
      const required: string = SERVICE_CHECKED[field.name] ?? declared.get(field.name) ?? '';
      for (const [role, token] of Object.entries(tokens)) {
        const made = field.name.startsWith('delete') || SERVICE_CHECKED[field.name] ? await fixtures() : {};
        const ids = field.name === 'deleteChannelGroup' ? { id: made.groupId } : made;
        const res = await server.gql(operation(kind, field, ids), undefined, token);
        calls += 1;
        const denied = (res.errors ?? []).some((e) => DENIED.has(String(e.extensions?.code)));
        const grant = grants[role];
        const expectedAllowed = publicField || (grant !== null && (required === '' || grant.has(required as Permission)));
        if (denied === expectedAllowed)
          violations.push(
            `${field.name} as ${role}: ${denied ? 'denied' : 'allowed'} (${JSON.stringify(res.errors?.[0]?.message ?? null)})`,
          );
      }
    }
    console.log(
      `authorization matrix: ${calls} calls over ${roots.length} operations and ${Object.keys(tokens).length} callers, ${violations.length} violations`,
    );
    expect(violations).toEqual([]);
  });

  it('records the permission each change was made under in the audit trail', async () => {
    const created = await server.gql('mutation { createRoute(input: { name: "audited-route" }) { id } }', undefined, tokens.operator);
    expect(created.errors).toBeUndefined();
    const events = await server.gql('{ auditEvents(action: "route.created") { items { actor permission } } }', undefined, admin);
    expect(events.data!.auditEvents.items[0]).toEqual({ actor: 'api-token:test-operator', permission: 'routes:write' });
  });
});

describe('scopes: channel groups and clusters by label', () => {
  let db: TestDatabase;
  let server: TestServer;
  const peer = new WebhookPeer();
  let admin: string;
  let payments: string;
  let teamA: { group: string; channel: string };
  let teamB: { group: string; channel: string };
  let clusters: { prod: string; staging: string };

  const gql = (query: string, variables?: Record<string, unknown>, token = payments) => server.gql(query, variables, token);

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    const group = async (name: string, extra = '') =>
      (await server.gql(`mutation { createChannelGroup(input: { name: "${name}"${extra} }) { id } }`, undefined, admin)).data!
        .createChannelGroup.id as string;
    const channel = async (name: string, groupId: string | null) =>
      (await createChannel(server, { name, type: 'webhook', config: { url: `${peer.baseUrl}/${name}` }, groupId }, admin)) as string;
    const a = await group('team-a');
    const aSub = await group('team-a-eu', `, parentId: "${a}"`);
    teamA = { group: aSub, channel: await channel('a-pager', aSub) };
    const b = await group('team-b');
    teamB = { group: b, channel: await channel('b-pager', b) };
    const cluster = async (name: string, env: string) =>
      (
        await server.gql(
          'mutation($i: CreateClusterInput!) { createCluster(input: $i) { cluster { id } } }',
          { i: { name, alertmanagerUrls: ['http://127.0.0.1:9'], labels: { env } } },
          admin,
        )
      ).data!.createCluster.cluster.id as string;
    clusters = { prod: await cluster('prod-eu', 'prod'), staging: await cluster('staging-eu', 'staging') };
    const role = await server.gql(
      ROLE,
      {
        i: {
          name: 'payments',
          permissions: ['channels:read', 'channels:write', 'channels:test', 'clusters:read', 'alerts:read', 'alerts:write', 'routes:write'],
          channelGroups: [a],
          clusterMatchers: ['env="prod"'],
        },
      },
      admin,
    );
    expect(role.errors).toBeUndefined();
    payments = (await server.gql(TOKEN, { i: { name: 'payments-bot', customRole: 'payments' } }, admin)).data!.createApiToken.token;
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
  });

  it('lists only the channels and groups in the scope (subgroups included), and refuses the rest by id', async () => {
    const listed = await gql('{ channels { total items { name } } channelGroups { items { name } } }');
    expect(listed.data!.channels).toEqual({ total: 1, items: [{ name: 'a-pager' }] });
    expect(listed.data!.channelGroups.items.map((g: { name: string }) => g.name).sort()).toEqual(['team-a', 'team-a-eu']);
    const other = await gql('query($id: ID!) { channel(id: $id) { name } }', { id: teamB.channel });
    expect(other.errors?.[0]).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
      message: 'channel b-pager is outside the channel groups of the role payments',
    });
  });

  it('tests and changes channels in the scope only, including testChannel', async () => {
    expect((await gql('mutation($id: ID!) { testChannel(id: $id) { status } }', { id: teamA.channel })).data!.testChannel.status).toBe(
      'DELIVERED',
    );
    const outside = await gql('mutation($id: ID!) { testChannel(id: $id) { status } }', { id: teamB.channel });
    expect(outside.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    expect(peer.requests.filter((r) => r.url.pathname === '/b-pager')).toHaveLength(0);
    const moved = await gql('mutation($id: ID!, $g: ID) { updateChannel(id: $id, input: { groupId: $g }) { id } }', {
      id: teamA.channel,
      g: teamB.group,
    });
    expect(moved.errors?.[0].extensions?.code).toBe('FORBIDDEN');
    const route = await gql('mutation($i: RouteInput!) { createRoute(input: $i) { id } }', {
      i: { name: 'steal', channelIds: [teamB.channel] },
    });
    expect(route.errors?.[0]).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
      message: expect.stringMatching(/is outside the channel groups of the role payments$/),
    });
  });

  it('sees only the clusters whose labels match, their alerts, and posts alerts only for them', async () => {
    expect((await gql('{ clusters { items { name } } }')).data!.clusters.items).toEqual([{ name: 'prod-eu' }]);
    expect((await gql('query($id: ID!) { cluster(id: $id) { name } }', { id: clusters.staging })).errors?.[0].extensions?.code).toBe(
      'FORBIDDEN',
    );
    const post = (cluster: string | null, payload = validPayload()) =>
      fetch(`${server.baseUrl}/api/v1/alerts/alertmanager${cluster ? `/${cluster}` : ''}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${payments}`, 'content-type': 'application/json' },
        body: JSON.stringify(payload),
      });
    expect((await post('staging-eu')).status).toBe(403);
    expect((await post(null)).status).toBe(403);
    // It cannot label its alerts as another registered cluster: the label is kept as exported_cluster.
    const spoofed = validPayload();
    spoofed.alerts[0].labels.cluster = 'staging-eu';
    expect((await post('prod-eu', spoofed)).status).toBe(200);
    const [mine] = (await waitFor(async () => {
      const items = (await gql('{ alertRecords { items { cluster labels } } }')).data!.alertRecords.items;
      return items.length > 0 && items;
    }, 'the record')) as Array<{ cluster: string; labels: Record<string, string> }>;
    expect(mine).toMatchObject({ cluster: 'prod-eu', labels: { cluster: 'prod-eu', exported_cluster: 'staging-eu' } });
    // Alerts of other clusters (posted by an admin) stay out of its view.
    await fetch(`${server.baseUrl}/api/v1/alerts/alertmanager/staging-eu`, {
      method: 'POST',
      headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(validPayload()),
    });
    await waitFor(
      async () => (await server.gql('{ alertRecords { total } }', undefined, admin)).data!.alertRecords.total === 2,
      'both records',
    );
    expect((await gql('{ alertRecords { total } }')).data!.alertRecords.total).toBe(1);
  });

  it("lets a group's manage role stand in for channel permissions: viewers manage a group marked VIEWER", async () => {
    const open = (await server.gql('mutation { createChannelGroup(input: { name: "open", manageRole: VIEWER }) { id } }', undefined, admin))
      .data!.createChannelGroup.id;
    const viewer = await server.issueToken('viewer');
    const made = await server.gql(
      'mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }',
      { i: { name: 'open-hook', type: 'webhook', config: { url: `${peer.baseUrl}/open` }, groupId: open } },
      viewer,
    );
    expect(made.errors).toBeUndefined();
    const tested = await server.gql('mutation($id: ID!) { testChannel(id: $id) { status } }', { id: made.data!.createChannel.id }, viewer);
    expect(tested.data!.testChannel.status).toBe('DELIVERED');
    const locked = (
      await server.gql('mutation { createChannelGroup(input: { name: "locked", manageRole: ADMIN }) { id } }', undefined, admin)
    ).data!.createChannelGroup.id;
    const inLockedId = await createChannel(
      server,
      { name: 'locked-hook', type: 'webhook', config: { url: `${peer.baseUrl}/locked` }, groupId: locked },
      admin,
    );
    const operator = await server.issueToken('operator');
    const refused = await server.gql('mutation($id: ID!) { testChannel(id: $id) { status } }', { id: inLockedId }, operator);
    expect(refused.errors?.[0]).toMatchObject({
      extensions: { code: 'FORBIDDEN' },
      message: expect.stringMatching(/needs at least the admin role \(the group's manage role\)/),
    });
  });

  it('refuses to delete a role tokens hold, and a token whose role is gone stops working', async () => {
    const roles = (await server.gql('{ accessRoles { id name builtIn } }', undefined, admin)).data!.accessRoles;
    const role = roles.find((r: { name: string }) => r.name === 'payments');
    const refused = await server.gql('mutation($id: ID!) { deleteAccessRole(id: $id) }', { id: role.id }, admin);
    expect(refused.errors?.[0]).toMatchObject({
      extensions: { code: 'CONFLICT' },
      message: 'role payments is held by 1 API token; revoke them first',
    });
    const client = new Client({ connectionString: db.url });
    await client.connect();
    await client.query(`delete from "role" where "name" = 'payments'`);
    await client.end();
    await new Promise((r) => setTimeout(r, 5_100));
    const gone = await gql('{ viewer { roleName } }');
    expect(gone.errors?.[0]).toMatchObject({
      extensions: { code: 'UNAUTHENTICATED' },
      message: 'the role "payments" of this API token no longer exists',
    });
  });
});
