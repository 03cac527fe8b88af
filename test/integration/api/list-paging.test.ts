import { startTestServer, type TestServer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** The configuration lists page, filter and sort like the traffic lists do, with their own filters. */
describe('configuration lists: filter, sort, pages', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const answer = await server.gql(query, variables, admin);
    expect(answer.errors).toBeUndefined();
    return answer.data as Record<string, any>;
  };
  const names = (page: { items: Array<{ name: string }> }) => page.items.map((i) => i.name);
  const channelIds: string[] = [];
  let clusterId = '';

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    for (const name of ['pager', 'mail'])
      channelIds.push(
        (
          await gql('mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }', {
            i: { name, type: 'webhook', config: { url: `http://127.0.0.1:9/${name}` } },
          })
        ).createChannel.id,
      );
    for (const [name, channel, enabled] of [
      ['db-critical', 0, true],
      ['web', 1, true],
      ['db-warning', 1, false],
    ] as const) {
      await gql('mutation($i: RouteInput!) { createRoute(input: $i) { id } }', {
        i: { name, matchers: [`team="${name}"`], channelIds: [channelIds[channel]], enabled },
      });
    }
    for (const [name, env] of [
      ['prod-eu', 'prod'],
      ['dev-us', 'dev'],
      ['prod-us', 'prod'],
    ]) {
      const made = (
        await gql('mutation($i: CreateClusterInput!) { createCluster(input: $i) { cluster { id } } }', {
          i: { name, labels: { env }, alertmanagerUrls: ['http://127.0.0.1:9'] },
        })
      ).createCluster;
      if (name === 'dev-us') clusterId = made.cluster.id;
    }
    const group = (name: string, alert: string) => `name: ${name}\nrules:\n  - alert: ${alert}\n    expr: up == 0\n`;
    await gql('mutation($i: CreateRuleGroupInput!) { createRuleGroup(input: $i) { id } }', {
      i: { yaml: group('node', 'NodeDown'), targets: ['env="prod"'], message: 'first' },
    });
    await gql('mutation($i: CreateRuleGroupInput!) { createRuleGroup(input: $i) { id } }', {
      i: { yaml: group('api', 'ApiDown'), message: 'first' },
    });
    for (const name of ['team-b', 'team-a'])
      await gql('mutation($i: CreateChannelGroupInput!) { createChannelGroup(input: $i) { id } }', { i: { name } });
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('routes: in the order tried by default, by name on request, filtered by state and channel', async () => {
    const all = (await gql('{ routes { total items { name } } }')).routes;
    expect(all).toEqual({ total: 3, items: [{ name: 'db-critical' }, { name: 'web' }, { name: 'db-warning' }] });
    expect(names((await gql('{ routes(sortBy: NAME, order: DESC, limit: 2) { items { name } } }')).routes)).toEqual(['web', 'db-warning']);
    expect(
      (await gql('query($c: ID) { routes(channelId: $c, enabled: true) { total items { name } } }', { c: channelIds[1] })).routes,
    ).toEqual({ total: 1, items: [{ name: 'web' }] });
    expect(names((await gql('{ routes(search: "DB", offset: 1) { items { name } } }')).routes)).toEqual(['db-warning']);
  });

  it('clusters: by name, status or age; filtered by status and name', async () => {
    expect(names((await gql('{ clusters { items { name } } }')).clusters)).toEqual(['dev-us', 'prod-eu', 'prod-us']);
    expect(names((await gql('{ clusters(sortBy: CREATED_AT) { items { name } } }')).clusters)).toEqual(['prod-us', 'dev-us', 'prod-eu']);
    expect((await gql('{ clusters(search: "prod", status: "unknown", limit: 1) { total items { name } } }')).clusters).toEqual({
      total: 2,
      items: [{ name: 'prod-eu' }],
    });
  });

  it('rule groups: by the cluster they land on and by rule name; versions paged newest first', async () => {
    expect(names((await gql('query($c: ID) { ruleGroups(clusterId: $c) { items { name } } }', { c: clusterId })).ruleGroups)).toEqual([
      'api',
    ]);
    expect(names((await gql('{ ruleGroups(ruleName: "NodeDown") { items { name } } }')).ruleGroups)).toEqual(['node']);
    const [node] = (await gql('{ ruleGroups(search: "node") { items { id } } }')).ruleGroups.items;
    for (const message of ['second', 'third'])
      await gql('mutation($id: ID!, $i: UpdateRuleGroupInput!) { updateRuleGroup(id: $id, input: $i) { id } }', {
        id: node.id,
        i: { targets: [`env="${message}"`], message },
      });
    const versions = (
      await gql('query($id: ID!) { ruleGroupVersions(id: $id, limit: 2) { total items { version message } } }', { id: node.id })
    ).ruleGroupVersions;
    expect(versions).toEqual({
      total: 3,
      items: [
        { version: 3, message: 'third' },
        { version: 2, message: 'second' },
      ],
    });
    expect(
      (await gql('query($id: ID!) { ruleGroupVersions(id: $id, order: ASC, search: "IR") { items { version } } }', { id: node.id }))
        .ruleGroupVersions.items,
    ).toEqual([{ version: 1 }, { version: 3 }]);
    const unknown = await server.gql('{ ruleGroupVersions(id: "00000000-0000-4000-8000-000000000000") { total } }', {}, admin);
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  it('channel groups, API tokens and analysis providers page and filter too', async () => {
    expect(names((await gql('{ channelGroups { items { name } } }')).channelGroups)).toEqual(['team-a', 'team-b']);
    expect(names((await gql('{ channelGroups(sortBy: CREATED_AT, topLevel: true) { items { name } } }')).channelGroups)).toEqual([
      'team-a',
      'team-b',
    ]);
    await server.issueToken('viewer');
    const tokens = (await gql('{ apiTokens(role: "viewer") { total items { roleName } } }')).apiTokens;
    expect(tokens).toEqual({ total: 1, items: [{ roleName: 'viewer' }] });
    await gql('mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id } }', {
      i: { name: 'local-llm', type: 'openai', config: { baseUrl: 'http://127.0.0.1:9/v1', model: 'm' } },
    });
    expect((await gql('{ analysisProviders(type: "openai") { total items { name } } }')).analysisProviders).toEqual({
      total: 1,
      items: [{ name: 'local-llm' }],
    });
    expect((await gql('{ analysisProviders(type: "dify") { total } }')).analysisProviders.total).toBe(0);
  });

  it('refuses page bounds it cannot serve with BAD_USER_INPUT naming the argument', async () => {
    for (const [query, message] of [
      ['{ routes(limit: 0) { total } }', 'limit: must be at least 1'],
      ['{ clusters(limit: 501) { total } }', 'limit: must be at most 500'],
      ['{ apiTokens(offset: -5) { total } }', 'offset: must not be negative'],
    ]) {
      const answer = await server.gql(query, {}, admin);
      expect(answer.errors?.[0]).toMatchObject({ message, extensions: { code: 'BAD_USER_INPUT' } });
    }
    const badSort = await server.gql('{ routes(sortBy: COLOUR) { total } }', {}, admin);
    expect(badSort.errors?.[0].extensions?.code).toBe('GRAPHQL_VALIDATION_FAILED');
  });
});
