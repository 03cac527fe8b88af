import { createCluster } from '../../support/fixtures';
import { startTestServer, type TestServer } from '../../support/app';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

const CREATE =
  'mutation($input: CreateRuleGroupInput!) { createRuleGroup(input: $input) { id name version targets rules { kind name expr for labels } } }';
const UPDATE = 'mutation($id: ID!, $input: UpdateRuleGroupInput!) { updateRuleGroup(id: $id, input: $input) { id version } }';
const group = (name: string, rules: string) => `name: ${name}\nrules:\n${rules}`;
const alert = (name: string, expr: string) => `  - alert: ${name}\n    expr: ${JSON.stringify(expr)}\n`;
const record = (name: string, expr: string, labels = '') => `  - record: ${name}\n    expr: ${JSON.stringify(expr)}\n${labels}`;

describe('rule groups through GraphQL', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  let operator: string;
  let viewer: string;

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    operator = await server.issueToken('operator');
    viewer = await server.issueToken('viewer');
    for (const [name, env, region] of [
      ['prod-eu', 'prod', 'eu'],
      ['prod-us', 'prod', 'us'],
      ['dev-eu', 'dev', 'eu'],
    ]) {
      await createCluster(server, { name, labels: { env, region }, alertmanagerUrls: ['http://127.0.0.1:9'] }, admin);
    }
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  const create = (yaml: string, targets: string[] = [], token = operator) =>
    server.gql(CREATE, { input: { yaml, targets, message: 'test' } }, token);

  it('refuses what promtool would refuse, naming the group, the rule and the position', async () => {
    const refused = await create(group('broken', alert('Slow', 'rate(http_seconds)') + record('1bad', 'up')));
    expect(refused.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    const messages = (refused.errors![0].extensions!.issues as Array<{ message: string }>).map((i) => i.message);
    expect(messages).toEqual([
      '4:11: group "broken", rule 1, "Slow": could not parse expression: 1:6: parse error: expected type range vector in call to function "rate", got instant vector',
      '5:13: group "broken", rule 2, "1bad": invalid recording rule name: 1bad',
    ]);
    expect((await server.gql('{ ruleGroups { items { id } } }', {}, viewer)).data!.ruleGroups.items).toEqual([]);
    const badTarget = await create(group('ok', record('a:b', 'up')), ['env=~"("']);
    expect(badTarget.errors![0].message).toContain('invalid regular expression');
    const forbidden = await create(group('viewer-made', record('a:b', 'up')), [], viewer);
    expect(forbidden.errors![0].extensions!.code).toBe('FORBIDDEN');
  });

  it('keeps every version with author and message, diffs them, and rolls back by writing a new version', async () => {
    const created = await create(
      group('latency', alert('SlowApi', 'histogram_quantile(0.99, sum by (le) (rate(api_seconds_bucket[5m]))) > 0.5')),
      ['env="prod"'],
    );
    expect(created.errors).toBeUndefined();
    const id = created.data!.createRuleGroup.id;
    expect(created.data!.createRuleGroup).toMatchObject({
      name: 'latency',
      version: 1,
      targets: ['env="prod"'],
      rules: [{ kind: 'alert', name: 'SlowApi', for: null }],
    });
    await server.gql(
      UPDATE,
      {
        id,
        input: {
          yaml: group('latency', alert('SlowApi', 'histogram_quantile(0.99, sum by (le) (rate(api_seconds_bucket[5m]))) > 1')),
          message: 'less noise',
        },
      },
      operator,
    );
    const versions = (
      await server.gql('query($id: ID!) { ruleGroupVersions(id: $id) { items { version author message targets } } }', { id }, viewer)
    ).data!.ruleGroupVersions.items;
    expect(versions).toEqual([
      { version: 2, author: 'test-operator', message: 'less noise', targets: ['env="prod"'] },
      { version: 1, author: 'test-operator', message: 'test', targets: ['env="prod"'] },
    ]);
    const diff = (await server.gql('query($id: ID!) { ruleGroupDiff(id: $id, from: 1, to: 2) }', { id }, viewer)).data!
      .ruleGroupDiff as string;
    expect(diff).toContain('--- version 1');
    expect(diff).toContain('+++ version 2');
    expect(diff).toMatch(/^-.*> 0\.5/m);
    expect(diff).toMatch(/^\+.*> 1$/m);

    const rolled = await server.gql(
      'mutation($id: ID!) { rollbackRuleGroup(id: $id, version: 1, message: "back") { version rules { expr } } }',
      { id },
      operator,
    );
    expect(rolled.data!.rollbackRuleGroup).toEqual({
      version: 3,
      rules: [{ expr: 'histogram_quantile(0.99, sum by (le) (rate(api_seconds_bucket[5m]))) > 0.5' }],
    });
    const noVersion = await server.gql(
      'mutation($id: ID!) { rollbackRuleGroup(id: $id, version: 9, message: "x") { version } }',
      { id },
      operator,
    );
    expect(noVersion.errors![0].extensions!.code).toBe('NOT_FOUND');
    const noMessage = await server.gql(UPDATE, { id, input: { message: ' ' } }, operator);
    expect(noMessage.errors![0].message).toContain('say what the change is for');
  });

  it('imports a rule file all or nothing and exports the groups back as one', async () => {
    const file = `groups:\n  - ${group('imp-a', record('imp:a:sum', 'sum(a)')).replace(/\n(?=.)/g, '\n    ')}\n  - ${group('imp-b', alert('ImpB', 'b > 1')).replace(/\n(?=.)/g, '\n    ')}\n`;
    const imported = await server.gql(
      'mutation($input: ImportRuleFileInput!) { importRuleFile(input: $input) { name version } }',
      { input: { yaml: file, targets: ['region="us"'], message: 'import' } },
      operator,
    );
    expect(imported.errors).toBeUndefined();
    expect(imported.data!.importRuleFile).toEqual([
      { name: 'imp-a', version: 1 },
      { name: 'imp-b', version: 1 },
    ]);
    // Again: the same names and targets are updated, not duplicated.
    const again = await server.gql(
      'mutation($input: ImportRuleFileInput!) { importRuleFile(input: $input) { name version } }',
      { input: { yaml: file, targets: ['region="us"'], message: 'import again' } },
      operator,
    );
    expect(again.data!.importRuleFile).toEqual([
      { name: 'imp-a', version: 2 },
      { name: 'imp-b', version: 2 },
    ]);
    const broken = await server.gql(
      'mutation($input: ImportRuleFileInput!) { importRuleFile(input: $input) { name } }',
      {
        input: {
          yaml: `${file}  - name: imp-c\n    rules:\n      - alert: C\n        expr: rate(c)\n`,
          targets: ['region="us"'],
          message: 'x',
        },
      },
      operator,
    );
    expect(broken.errors![0].extensions!.code).toBe('BAD_USER_INPUT');
    expect(
      (await server.gql('{ ruleGroups { items { name } } }', {}, viewer)).data!.ruleGroups.items.map((g: { name: string }) => g.name),
    ).not.toContain('imp-c');

    const ids = (await server.gql('{ ruleGroups { items { id name } } }', {}, viewer))
      .data!.ruleGroups.items.filter((g: { name: string }) => g.name.startsWith('imp-'))
      .map((g: { id: string }) => g.id);
    const exported = (await server.gql('query($ids: [ID!]) { exportRuleGroups(ids: $ids) }', { ids }, viewer)).data!.exportRuleGroups;
    expect(exported).toBe(
      'groups:\n  - name: imp-a\n    rules:\n      - record: imp:a:sum\n        expr: sum(a)\n  - name: imp-b\n    rules:\n      - alert: ImpB\n        expr: b > 1\n',
    );
  });

  it('gives each cluster exactly the groups that target it', async () => {
    const files = Object.fromEntries(
      await Promise.all(
        ['prod-eu', 'prod-us', 'dev-eu'].map(async (name) => {
          const clusters = (await server.gql('{ clusters { items { id name } } }', {}, viewer)).data!.clusters.items;
          const id = clusters.find((c: { name: string }) => c.name === name).id;
          return [
            name,
            (await server.gql('query($id: ID!) { clusterRuleFile(clusterId: $id) { groups hash } }', { id }, viewer)).data!.clusterRuleFile
              .groups,
          ];
        }),
      ),
    );
    expect(files).toEqual({ 'prod-eu': ['latency'], 'prod-us': ['imp-a', 'imp-b', 'latency'], 'dev-eu': [] });
  });

  describe('conflicts are refused before deployment', () => {
    it('two groups with one name on the same target', async () => {
      const refused = await create(group('latency', record('other:x', 'up')), ['region="eu"']);
      expect(refused.errors![0].extensions!.code).toBe('CONFLICT');
      expect(refused.errors![0].message).toContain('two rule groups named "latency" would land on cluster prod-eu');
      // The same name where they never meet is fine.
      expect((await create(group('latency', record('dev:latency', 'up')), ['env="dev"'])).errors).toBeUndefined();
    });

    it('one alert name with two expressions on one target', async () => {
      const refused = await create(group('more-latency', alert('SlowApi', 'api_latency_seconds > 2')), ['cluster="prod-us"']);
      expect(refused.errors![0].extensions!.code).toBe('CONFLICT');
      expect(refused.errors![0].message).toContain('alert "SlowApi" would have two different expressions on cluster prod-us');
      expect(refused.errors![0].message).toContain('api_latency_seconds > 2');
    });

    it('one recorded series written from two sources', async () => {
      const refused = await create(group('dup-record', record('imp:a:sum', 'sum(a2)')), ['region="us"']);
      expect(refused.errors![0].extensions!.code).toBe('CONFLICT');
      expect(refused.errors![0].message).toContain(
        'recording rule "imp:a:sum" would be written by two different expressions on cluster prod-us (groups "imp-a" and "dup-record")',
      );
      // Different rule labels make a different series: allowed.
      expect(
        (await create(group('labelled-record', record('imp:a:sum', 'sum(a2)', '    labels: { source: mirror }\n')), ['region="us"']))
          .errors,
      ).toBeUndefined();
    });

    it('a cluster whose new labels would bring conflicting groups together', async () => {
      // Two groups named "edge" that no cluster gets both of: allowed, until a cluster's labels change.
      expect((await create(group('edge', record('edge:a', 'up')), ['region="ap"'])).errors).toBeUndefined();
      expect((await create(group('edge', record('edge:b', 'up')), ['env="dev"'])).errors).toBeUndefined();
      const devId = (await server.gql('{ clusters { items { id name } } }', {}, viewer)).data!.clusters.items.find(
        (c: { name: string }) => c.name === 'dev-eu',
      ).id;
      const refused = await server.gql(
        'mutation($id: ID!) { updateCluster(id: $id, input: { labels: { env: "dev", region: "ap" } }) { id } }',
        { id: devId },
        admin,
      );
      expect(refused.errors![0].extensions!.code).toBe('CONFLICT');
      expect(refused.errors![0].message).toContain('two rule groups named "edge" would land on cluster dev-eu');
      const labels = (await server.gql('query($id: ID!) { cluster(id: $id) { labels } }', { id: devId }, viewer)).data!.cluster.labels;
      expect(labels).toEqual({ env: 'dev', region: 'eu' });
    });
  });
});

describe('conflicts that are real conflicts', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  const IMPORT = 'mutation($input: ImportRuleFileInput!) { importRuleFile(input: $input) { id name warnings } }';
  const importFile = (yaml: string, targets: string[] = []) => server.gql(IMPORT, { input: { yaml, targets, message: 'import' } }, admin);
  const createCluster = (name: string, labels: Record<string, string>) =>
    server.gql(
      'mutation($input: CreateClusterInput!) { createCluster(input: $input) { cluster { id } } }',
      { input: { name, labels, alertmanagerUrls: ['http://127.0.0.1:9'] } },
      admin,
    );

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  // As kubernetes-mixin renders it: one alert name at two severities with two thresholds.
  const tiers = `groups:
  - name: kubernetes-storage
    rules:
      - alert: KubePersistentVolumeFillingUp
        expr: kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.03
        for: 1m
        labels:
          severity: critical
      - alert: KubePersistentVolumeFillingUp
        expr: kubelet_volume_stats_available_bytes / kubelet_volume_stats_capacity_bytes < 0.15 and predict_linear(kubelet_volume_stats_available_bytes[6h], 4 * 24 * 3600) < 0
        for: 1h
        labels:
          severity: warning
`;

  it('accepts one alert name at several severities, before and after clusters exist, and a later cluster is accepted', async () => {
    expect((await importFile(tiers)).errors).toBeUndefined();
    expect((await createCluster('prod-eu', { env: 'prod' })).errors).toBeUndefined();
    // Imported again with a cluster in place: the same file, the same verdict.
    expect((await importFile(tiers)).errors).toBeUndefined();
    const apps = tiers.replace('kubernetes-storage', 'kubernetes-apps-storage');
    expect((await importFile(apps, ['env="prod"'])).errors).toBeUndefined();
    expect((await createCluster('prod-us', { env: 'prod' })).errors).toBeUndefined();
  });

  it('imports rule files up to 5 MB (as large as rendered mixins get) and refuses larger ones with a clear error', async () => {
    const lines = ['groups:'];
    let size = 0;
    for (let g = 0; size < 5_080_000; g += 1) {
      size += lines.slice(lines.push(`  - name: big-${g}`, '    rules:') - 2).join('\n').length;
      for (let r = 0; r < 10; r += 1) {
        lines.push(
          `      - alert: BigAlert${g}_${r}`,
          `        expr: sum by (job, instance) (rate(http_requests_total{service="svc-${g}", code=~"5.."}[5m])) / sum by (job, instance) (rate(http_requests_total{service="svc-${g}"}[5m])) > 0.0${r + 1}`,
          '        for: 10m',
          `        labels: { severity: warning, team: "team-${g % 7}" }`,
          '        annotations: { summary: "{{ $labels.job }} on {{ $labels.instance }}: {{ $value | humanizePercentage }} errors" }',
        );
        size += lines.slice(-5).join('\n').length + 6;
      }
    }
    const big = `${lines.join('\n')}\n`;
    expect(big.length).toBeGreaterThan(5_000_000);
    expect(big.length).toBeLessThanOrEqual(5 * 1024 * 1024);
    const imported = await server.gql(
      'mutation($input: ImportRuleFileInput!) { importRuleFile(input: $input) { id } }',
      { input: { yaml: big, targets: ['env="big"'], message: 'import' } },
      admin,
    );
    expect(imported.errors).toBeUndefined();
    expect(imported.data!.importRuleFile.length).toBeGreaterThan(1000);
    const tooBig = await server.gql(
      'mutation($input: ImportRuleFileInput!) { importRuleFile(input: $input) { id } }',
      { input: { yaml: `${big}# ${'x'.repeat(300_000)}\n`, targets: ['env="big"'], message: 'import' } },
      admin,
    );
    expect(tooBig.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
    expect(JSON.stringify(tooBig.errors?.[0])).toContain('input.yaml');
  });

  it('the same rule twice is accepted and reported, as promtool only lints it', async () => {
    const twice = `groups:\n  - name: dup-a\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n  - name: dup-b\n    rules:\n      - record: job:up:sum\n        expr: sum by (job) (up)\n`;
    const imported = await importFile(twice);
    expect(imported.errors).toBeUndefined();
    expect(imported.data!.importRuleFile[0].warnings).toEqual([
      'duplicate rule: recording rule "job:up:sum" appears in group "dup-a" and in group "dup-b" on cluster prod-eu',
      'duplicate rule: recording rule "job:up:sum" appears in group "dup-a" and in group "dup-b" on cluster prod-us',
      'duplicate rule: recording rule "job:up:sum" appears in group "dup-a" and in group "dup-b" on every cluster',
    ]);
  });

  it('refuses real conflicts even while no cluster exists, so no later createCluster fails', async () => {
    const fresh = await createTestDatabase();
    const alone = await startTestServer({ DATABASE_URL: fresh.url });
    try {
      const token = await alone.issueToken('admin');
      const imp = (yaml: string) => alone.gql(IMPORT, { input: { yaml, targets: [], message: 'import' } }, token);
      const clash = `groups:\n  - name: a\n    rules:\n      - alert: ApiDown\n        expr: up{job="api"} == 0\n        labels: { severity: critical }\n  - name: b\n    rules:\n      - alert: ApiDown\n        expr: absent(up{job="api"})\n        labels: { severity: critical }\n`;
      const refused = await imp(clash);
      expect(refused.errors?.[0]?.extensions?.code).toBe('CONFLICT');
      expect(refused.errors![0].message).toContain(
        'alert "ApiDown" with labels {"severity":"critical"} would have two different expressions on every cluster',
      );
      const series = `groups:\n  - name: a\n    rules:\n      - record: job:errors:rate5m\n        expr: sum by (job) (rate(errors_total[5m]))\n  - name: b\n    rules:\n      - record: job:errors:rate5m\n        expr: sum by (job) (rate(errors_total[1m]))\n`;
      expect((await imp(series)).errors?.[0]?.message).toContain(
        'recording rule "job:errors:rate5m" would be written by two different expressions on every cluster',
      );
      expect((await alone.gql('{ ruleGroups { items { id } } }', {}, token)).data!.ruleGroups.items).toEqual([]);
      const cluster = await alone.gql(
        'mutation($input: CreateClusterInput!) { createCluster(input: $input) { cluster { id } } }',
        { input: { name: 'c', labels: {}, alertmanagerUrls: ['http://127.0.0.1:9'] } },
        token,
      );
      expect(cluster.errors).toBeUndefined();
    } finally {
      await alone.stop();
      await fresh.drop();
    }
  });
});
