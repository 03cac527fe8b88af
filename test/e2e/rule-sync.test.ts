import { startTestServer, type TestServer } from '../support/app';
import { startSidecarProcess, type SidecarProcess } from '../support/cli-process';
import { createTestDatabase, type TestDatabase } from '../support/postgres';
import { startPrometheus, type RunningPrometheus } from '../support/prometheus';
import { waitFor } from '../support/wait';

const GROUP_V1 = `name: api-availability
interval: 30s
rules:
  - record: job:http_errors:rate5m
    expr: sum by (job) (rate(http_requests_total{code=~"5.."}[5m]))
  - alert: ApiErrors
    expr: job:http_errors:rate5m > 1
    for: 5m
    labels: { severity: page }
    annotations: { summary: "{{ $labels.job }}: {{ $value | humanize }} errors/s" }
`;
const GROUP_V2 = `${GROUP_V1}  - alert: ApiDown
    expr: up{job="api"} == 0
    for: 1m
`;

describe('rule distribution through the sidecar to a real Prometheus', () => {
  let db: TestDatabase;
  let server: TestServer;
  let prometheus: RunningPrometheus;
  let sidecar: SidecarProcess;
  let operator: string;
  let prodId: string;

  const groupsInPrometheus = async () => (await prometheus.ruleGroups()).map((g) => ({ name: g.name, rules: g.rules.map((r) => r.name) }));
  const ruleSync = async () =>
    (
      await server.gql(
        'query($id: ID!) { cluster(id: $id) { ruleSync { desiredHash groups instances { instance kind appliedHash inSync lastError } } } }',
        { id: prodId },
        operator,
      )
    ).data!.cluster.ruleSync;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    const admin = await server.issueToken('admin');
    operator = await server.issueToken('operator');
    prometheus = await startPrometheus();
    const create = (name: string, env: string) =>
      server.gql(
        'mutation($input: CreateClusterInput!) { createCluster(input: $input) { sidecarToken cluster { id } } }',
        {
          input: {
            name,
            labels: { env },
            alertmanagerUrls: ['http://127.0.0.1:9'],
            prometheusUrls: [prometheus.url],
            syncIntervalSeconds: 1,
          },
        },
        admin,
      );
    const prod = (await create('prod-eu', 'prod')).data!.createCluster;
    await create('dev-eu', 'dev');
    prodId = prod.cluster.id;
    sidecar = await startSidecarProcess(
      [
        '--kind',
        'prometheus',
        '--server',
        server.baseUrl,
        '--cluster',
        'prod-eu',
        '--file',
        prometheus.ruleFile,
        '--engine-url',
        prometheus.url,
        '--instance',
        'prom-0',
        '--backoff-base',
        '200ms',
        '--backoff-max',
        '1s',
        '--log-level',
        'warn',
      ],
      prod.sidecarToken,
    );
  });

  afterAll(async () => {
    await sidecar?.stop();
    await prometheus?.stop();
    await server?.stop();
    await db?.drop();
  });

  let groupId: string;

  it('puts a group created through GraphQL into the targeted Prometheus, verified by /api/v1/rules', async () => {
    const created = await server.gql(
      'mutation($input: CreateRuleGroupInput!) { createRuleGroup(input: $input) { id version } }',
      { input: { yaml: GROUP_V1, targets: ['env="prod"'], message: 'first API alerts' } },
      operator,
    );
    expect(created.errors).toBeUndefined();
    groupId = created.data!.createRuleGroup.id;
    await waitFor(async () => (await groupsInPrometheus()).length === 1, 'the group in Prometheus', 15_000);
    expect(await groupsInPrometheus()).toEqual([{ name: 'api-availability', rules: ['job:http_errors:rate5m', 'ApiErrors'] }]);
    const sync = await waitFor(
      async () => {
        const s = await ruleSync();
        return s.instances[0]?.inSync ? s : false;
      },
      'the sidecar report',
      10_000,
    );
    expect(sync).toMatchObject({
      groups: ['api-availability'],
      instances: [{ instance: 'prom-0', kind: 'prometheus', appliedHash: sync.desiredHash, lastError: null }],
    });
  });

  it('applies a new version, and a rollback removes the change from Prometheus too', async () => {
    const updated = await server.gql(
      'mutation($id: ID!, $input: UpdateRuleGroupInput!) { updateRuleGroup(id: $id, input: $input) { version } }',
      { id: groupId, input: { yaml: GROUP_V2, message: 'page when the API is down' } },
      operator,
    );
    expect(updated.data!.updateRuleGroup.version).toBe(2);
    await waitFor(async () => (await groupsInPrometheus())[0]?.rules.includes('ApiDown'), 'ApiDown in Prometheus', 15_000);

    const rolled = await server.gql(
      'mutation($id: ID!) { rollbackRuleGroup(id: $id, version: 1, message: "ApiDown pages too often") { version rules { name } } }',
      { id: groupId },
      operator,
    );
    expect(rolled.data!.rollbackRuleGroup).toEqual({ version: 3, rules: [{ name: 'job:http_errors:rate5m' }, { name: 'ApiErrors' }] });
    await waitFor(async () => !(await groupsInPrometheus())[0]?.rules.includes('ApiDown'), 'ApiDown gone from Prometheus', 15_000);
    expect(await groupsInPrometheus()).toEqual([{ name: 'api-availability', rules: ['job:http_errors:rate5m', 'ApiErrors'] }]);
  });

  it('does not put a group targeted at another cluster into this Prometheus', async () => {
    const other = await server.gql(
      'mutation($input: CreateRuleGroupInput!) { createRuleGroup(input: $input) { id } }',
      {
        input: {
          yaml: 'name: dev-only\nrules:\n  - record: dev:up:sum\n    expr: sum(up)\n',
          targets: ['env="dev"'],
          message: 'dev experiments',
        },
      },
      operator,
    );
    expect(other.errors).toBeUndefined();
    const marker = await server.gql(
      'mutation($input: CreateRuleGroupInput!) { createRuleGroup(input: $input) { id } }',
      {
        input: {
          yaml: 'name: prod-marker\nrules:\n  - record: prod:up:sum\n    expr: sum(up)\n',
          targets: ['cluster="prod-eu"'],
          message: 'marker',
        },
      },
      operator,
    );
    expect(marker.errors).toBeUndefined();
    // Once the later prod group is in, the dev group (created first) would have been too, had it been sent.
    await waitFor(async () => (await groupsInPrometheus()).some((g) => g.name === 'prod-marker'), 'the marker group', 15_000);
    expect((await groupsInPrometheus()).map((g) => g.name).sort()).toEqual(['api-availability', 'prod-marker']);
  });
});
