import { startTestServer, type TestServer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { WebhookPeer } from '../../support/peers/webhook-peer';

/**
 * Every update mutation changes what it is given and nothing else: an update that names one field
 * leaves the others as they were, and an explicit null clears a field that may be empty.
 */
describe('partial updates', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  const peer = new WebhookPeer();
  const channels: string[] = [];
  const gql = async (query: string, variables: Record<string, unknown> = {}) => {
    const answer = await server.gql(query, variables, admin);
    expect(answer.errors).toBeUndefined();
    return answer.data as Record<string, any>;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    await peer.start();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    for (const name of ['oncall', 'dba']) {
      channels.push(
        (
          await gql('mutation($i: CreateChannelInput!) { createChannel(input: $i) { id } }', {
            i: { name, type: 'webhook', config: { url: `${peer.baseUrl}/${name}` } },
          })
        ).createChannel.id,
      );
    }
  });

  afterAll(async () => {
    await server?.stop();
    await peer.stop();
    await db?.drop();
  });

  it('updateRoute: a new name keeps matchers, channels, windows and flags; null clears the window', async () => {
    const fields =
      'name matchers channelIds continueMatching perAlert enabled position groupWaitSeconds groupIntervalSeconds repeatIntervalSeconds';
    const created = (
      await gql(`mutation($i: RouteInput!) { createRoute(input: $i) { id ${fields} } }`, {
        i: {
          name: 'databases',
          matchers: ['team="db"', 'severity=~"critical|warning"'],
          channelIds: channels,
          continueMatching: true,
          perAlert: true,
          groupWaitSeconds: 30,
          groupIntervalSeconds: 600,
          repeatIntervalSeconds: 7200,
        },
      })
    ).createRoute;
    const renamed = (await gql(`mutation($id: ID!) { updateRoute(id: $id, input: { name: "dba" }) { ${fields} } }`, { id: created.id }))
      .updateRoute;
    const { id: _id, ...rest } = created;
    expect(renamed).toEqual({ ...rest, name: 'dba' });
    const oneChannel = (
      await gql(
        `mutation($id: ID!, $c: [ID!]) { updateRoute(id: $id, input: { channelIds: $c, groupWaitSeconds: null, groupIntervalSeconds: null, repeatIntervalSeconds: null }) { ${fields} } }`,
        { id: created.id, c: [channels[0]] },
      )
    ).updateRoute;
    expect(oneChannel).toMatchObject({
      name: 'dba',
      matchers: created.matchers,
      channelIds: [channels[0]],
      continueMatching: true,
      perAlert: true,
      groupWaitSeconds: null,
      groupIntervalSeconds: null,
      repeatIntervalSeconds: null,
    });
    const refused = await server.gql('mutation($id: ID!) { updateRoute(id: $id, input: { name: "" }) { id } }', { id: created.id }, admin);
    expect(refused.errors?.[0]).toMatchObject({ extensions: { code: 'BAD_USER_INPUT' }, message: 'input.name: must not be empty' });
    const unknown = await server.gql(
      'mutation { updateRoute(id: "00000000-0000-4000-8000-000000000000", input: { name: "x" }) { id } }',
      {},
      admin,
    );
    expect(unknown.errors?.[0].extensions?.code).toBe('NOT_FOUND');
  });

  /** Creates with `create`, updates with `update` (the name only), and checks every other field kept; then applies `change` and checks `expected`. */
  const keepsTheRest = async (
    kind: string,
    fields: string,
    create: Record<string, unknown>,
    change: Record<string, unknown>,
    expected: Record<string, unknown>,
  ) => {
    const created = (await gql(`mutation($i: ${kind}Input!) { create${kind}(input: $i) { id ${fields} } }`, { i: create }))[
      `create${kind}`
    ];
    const renamed = (
      await gql(`mutation($id: ID!) { update${kind}(id: $id, input: { name: "renamed-${kind.toLowerCase()}" }) { ${fields} } }`, {
        id: created.id,
      })
    )[`update${kind}`];
    const { id: _id, ...rest } = created;
    expect(renamed).toEqual({ ...rest, name: `renamed-${kind.toLowerCase()}` });
    const changed = (
      await gql(`mutation($id: ID!, $i: ${kind}UpdateInput!) { update${kind}(id: $id, input: $i) { ${fields} } }`, {
        id: created.id,
        i: change,
      })
    )[`update${kind}`];
    expect(changed).toEqual({ ...rest, name: `renamed-${kind.toLowerCase()}`, ...expected });
  };

  it('updateInhibitionRule', async () => {
    await keepsTheRest(
      'InhibitionRule',
      'name sourceMatchers targetMatchers equal enabled',
      {
        name: 'node-down',
        sourceMatchers: ['alertname="NodeDown"'],
        targetMatchers: ['severity="warning"'],
        equal: ['instance'],
        enabled: false,
      },
      { equal: ['instance', 'cluster'] },
      { equal: ['instance', 'cluster'] },
    );
  });

  it('updateCorrelationPolicy', async () => {
    await keepsTheRest(
      'CorrelationPolicy',
      'name labels matchers windowSeconds updateIntervalSeconds reopenGraceSeconds resolveHoldSeconds enabled',
      {
        name: 'by-service',
        labels: ['service'],
        matchers: ['team="payments"'],
        windowSeconds: 3600,
        updateIntervalSeconds: 120,
        reopenGraceSeconds: 60,
        resolveHoldSeconds: 600,
        enabled: false,
      },
      { windowSeconds: 7200 },
      { windowSeconds: 7200 },
    );
  });

  it('updateMaintenanceWindow (null clears the matchers)', async () => {
    await keepsTheRest(
      'MaintenanceWindow',
      'name matchers clusters schedule expression durationSeconds timeZone enabled mirrorAsSilences',
      {
        name: 'patching',
        matchers: ['team="db"'],
        clusters: ['prod-eu'],
        schedule: 'CRON',
        expression: '0 2 * * SAT',
        durationSeconds: 3600,
        timeZone: 'Europe/Berlin',
        enabled: false,
      },
      { matchers: null, durationSeconds: 7200 },
      { matchers: [], durationSeconds: 7200 },
    );
  });

  it('updateEscalationPolicy', async () => {
    await keepsTheRest(
      'EscalationPolicy',
      'name matchers levels { delaySeconds channelIds } enabled',
      {
        name: 'critical',
        matchers: ['severity="critical"'],
        levels: [
          { delaySeconds: 300, channelIds: [channels[0]] },
          { delaySeconds: 900, channelIds: [channels[1]] },
        ],
        enabled: false,
      },
      { enabled: true },
      { enabled: true },
    );
  });

  it('updateAccessRole', async () => {
    await keepsTheRest(
      'AccessRole',
      'name description permissions scopes { channelGroups clusterMatchers }',
      { name: 'auditor', description: 'reads the trail', permissions: ['audit:read', 'clusters:read'], clusterMatchers: ['env="prod"'] },
      { permissions: ['audit:read'] },
      { permissions: ['audit:read'] },
    );
  });

  it('updateAnalysisProvider: config keys left out and the secret are kept', async () => {
    const fields = 'name type config secretSet rateLimitPerMinute timeoutMs enabled';
    const created = (
      await gql(`mutation($i: AnalysisProviderInput!) { createAnalysisProvider(input: $i) { id ${fields} } }`, {
        i: {
          name: 'gpt',
          type: 'openai',
          config: { baseUrl: `${peer.baseUrl}/v1`, model: 'gpt-4o-mini', temperature: 0.1 },
          secret: 'sk-test-0123456789',
          rateLimitPerMinute: 30,
          timeoutMs: 20_000,
          enabled: false,
        },
      })
    ).createAnalysisProvider;
    const { id, ...rest } = created;
    expect(rest.secretSet).toBe(true);
    const renamed = (await gql(`mutation($id: ID!) { updateAnalysisProvider(id: $id, input: { name: "gpt-2" }) { ${fields} } }`, { id }))
      .updateAnalysisProvider;
    expect(renamed).toEqual({ ...rest, name: 'gpt-2' });
    const model = (
      await gql(`mutation($id: ID!) { updateAnalysisProvider(id: $id, input: { config: { model: "gpt-4o" } }) { ${fields} } }`, { id })
    ).updateAnalysisProvider;
    expect(model).toEqual({ ...rest, name: 'gpt-2', config: { ...rest.config, model: 'gpt-4o' } });
  });

  it('updateRemediationAction: the webhook URL and auth value are kept', async () => {
    const fields = 'name description authHeaderName authValueSet matchers minConfidence mode cooldownSeconds dryRun timeoutMs enabled';
    const created = (
      await gql(`mutation($i: RemediationActionInput!) { createRemediationAction(input: $i) { id ${fields} } }`, {
        i: {
          name: 'restart-pod',
          description: 'kubectl rollout restart',
          webhookUrl: `${peer.baseUrl}/n8n`,
          authValue: 's3cret',
          matchers: ['alertname="PodCrashLooping"'],
          mode: 'approval',
          minConfidence: 0.9,
          cooldownSeconds: 600,
          dryRun: true,
        },
      })
    ).createRemediationAction;
    const { id, ...rest } = created;
    const renamed = (
      await gql(`mutation($id: ID!) { updateRemediationAction(id: $id, input: { name: "restart-deployment" }) { ${fields} } }`, { id })
    ).updateRemediationAction;
    expect(renamed).toEqual({ ...rest, name: 'restart-deployment' });
    const automatic = (
      await gql(`mutation($id: ID!) { updateRemediationAction(id: $id, input: { mode: "automatic", dryRun: false }) { ${fields} } }`, {
        id,
      })
    ).updateRemediationAction;
    expect(automatic).toEqual({ ...rest, name: 'restart-deployment', mode: 'automatic', dryRun: false });
  });

  it('updateChannel, updateCluster and updateRuleGroup were partial already: a new name keeps the rest', async () => {
    const channel = (await gql('{ channels { items { id name type config enabled tags } } }')).channels.items.find(
      (c: { name: string }) => c.name === 'dba',
    );
    const renamedChannel = (
      await gql('mutation($id: ID!) { updateChannel(id: $id, input: { name: "dba-team" }) { id name type config enabled tags } }', {
        id: channel.id,
      })
    ).updateChannel;
    expect(renamedChannel).toEqual({ ...channel, name: 'dba-team' });

    const cluster = (
      await gql(
        'mutation { createCluster(input: { name: "prod-eu", alertmanagerUrls: ["http://127.0.0.1:9"], labels: { env: "prod" }, syncIntervalSeconds: 45 }) { cluster { id name alertmanagerUrls labels syncIntervalSeconds } } }',
      )
    ).createCluster.cluster;
    const renamedCluster = (
      await gql(
        'mutation($id: ID!) { updateCluster(id: $id, input: { syncIntervalSeconds: 60 }) { id name alertmanagerUrls labels syncIntervalSeconds } }',
        { id: cluster.id },
      )
    ).updateCluster;
    expect(renamedCluster).toEqual({ ...cluster, syncIntervalSeconds: 60 });

    const yaml = 'name: node\nrules:\n  - alert: NodeDown\n    expr: up == 0\n';
    const group = (
      await gql(
        'mutation($y: String!) { createRuleGroup(input: { yaml: $y, targets: ["env=\\"prod\\""], message: "first" }) { id name targets yaml version } }',
        { y: yaml },
      )
    ).createRuleGroup;
    const retargeted = (
      await gql(
        'mutation($id: ID!) { updateRuleGroup(id: $id, input: { targets: [], message: "everywhere" }) { id name targets yaml version } }',
        { id: group.id },
      )
    ).updateRuleGroup;
    expect(retargeted).toEqual({ ...group, targets: [], version: group.version + 1 });
  });
});
