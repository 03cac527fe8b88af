import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { compileTable, decideRoutes } from '../../../src/services/gateway/route-table';
import { checkRoute, routeSpecOf, tableSpec } from '../../../src/services/gateway/route.service';
import { translateRouteTree } from '../../../src/services/import/alertmanager-routes';
import { checkAlertmanagerFile } from '../../../src/services/clusters/alertmanager-config';

const AMTOOL = process.env.AMTOOL_BINARY ?? 'amtool';

/** Route trees as teams write them: nesting, inheritance, match / match_re / matchers, continue on leaves, a catch-all. */
const TREES: Array<[string, string]> = [
  [
    'flat-teams',
    `route:
  receiver: default
  routes:
    - receiver: db
      matchers: ['team="db"']
    - receiver: web
      match: { team: web }
    - receiver: infra
      match_re: { team: 'infra|platform' }
`,
  ],
  [
    'nested-severity',
    `route:
  receiver: default
  group_by: [alertname]
  routes:
    - match_re: { service: '^(api|auth)$' }
      receiver: app-mails
      routes:
        - match: { severity: critical }
          receiver: app-pager
    - match: { service: database }
      receiver: db-pager
      routes:
        - match: { owner: team-x }
          receiver: x-pager
        - match: { owner: team-y }
          receiver: y-pager
`,
  ],
  [
    'log-everything-first',
    `route:
  receiver: default
  routes:
    - receiver: archive
      continue: true
    - receiver: critical
      matchers: ['severity="critical"']
    - receiver: db
      matchers: ['team="db"', 'env!="dev"']
`,
  ],
  [
    'continue-leaves',
    `route:
  receiver: default
  routes:
    - receiver: slack
      matchers: ['severity=~"warning|critical"']
      continue: true
    - receiver: pager
      matchers: ['severity="critical"']
      continue: true
    - receiver: ticket
      matchers: ['team="db"']
`,
  ],
  [
    'inherited-receiver',
    `route:
  receiver: default
  routes:
    - matchers: ['env="prod"']
      receiver: prod
      routes:
        - matchers: ['team="db"']
        - matchers: ['severity="critical"']
          receiver: prod-pager
    - matchers: ['env="dev"']
`,
  ],
  [
    'regex-and-negation',
    `route:
  receiver: default
  routes:
    - receiver: not-dev
      matchers: ['env!~"dev|test"', 'severity!="info"']
    - receiver: empty-team
      matchers: ['team=""']
    - receiver: any-team
      matchers: ['team=~".+"']
`,
  ],
  [
    'nested-continue-negated',
    `route:
  receiver: default
  routes:
    - receiver: team
      matchers: ['team="db"']
      routes:
        - receiver: team-critical
          matchers: ['severity="critical"']
          continue: true
        - receiver: team-prod
          matchers: ['env="prod"']
    - receiver: services
      match: { service: database }
      routes:
        - receiver: x-pager
          match: { owner: team-x }
          continue: true
        - receiver: y-pager
          match_re: { owner: 'team-y|team-z' }
          continue: true
`,
  ],
  [
    'nested-continue-always',
    `route:
  receiver: default
  routes:
    - receiver: team
      matchers: ['team="db"']
      routes:
        - receiver: team-log
          continue: true
        - receiver: team-prod
          matchers: ['env="prod"']
`,
  ],
  [
    'nested-continue-not-exact',
    `route:
  receiver: default
  routes:
    - receiver: team
      matchers: ['team="db"']
      routes:
        - receiver: team-critical-prod
          matchers: ['severity="critical"', 'env="prod"']
          continue: true
        - receiver: team-web
          matchers: ['service="web"']
`,
  ],
];

const RECEIVERS = (tree: string) =>
  `receivers:\n${[...new Set([...tree.matchAll(/receiver: ([\w-]+)/g)].map((m) => m[1]))].map((name) => `  - name: ${name}`).join('\n')}\n`;

/** Every label set over the values a tree's matchers name, and values none names. */
function labelSets(): Array<Record<string, string>> {
  const values: Record<string, string[]> = {
    team: ['db', 'web', 'infra', 'platform', 'other', ''],
    severity: ['critical', 'warning', 'info', ''],
    service: ['api', 'auth', 'database', 'apiX', ''],
    env: ['prod', 'dev', 'test', ''],
    owner: ['team-x', 'team-y', ''],
  };
  let sets: Array<Record<string, string>> = [{}];
  for (const [name, options] of Object.entries(values)) {
    sets = sets.flatMap((set) => options.map((value) => (value === '' ? set : { ...set, [name]: value })));
  }
  // Every 23rd of the 1,440 combinations keeps the run short while covering every value.
  return sets.filter((_, i) => i % 23 === 0 || i < 40);
}

describe('routes imported from Alertmanager pick the receivers amtool picks', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'aa-route-import-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(TREES)('%s', (name, tree) => {
    const file = join(dir, `${name}.yml`);
    const config = tree + RECEIVERS(tree);
    writeFileSync(file, config);
    expect(checkAlertmanagerFile(config)).toEqual([]);
    const { routes, report } = translateRouteTree(parse(config).route);
    const exact = report.every((item) => !item.detail.includes('AlertAgent routes are flat'));
    expect(exact).toBe(name !== 'nested-continue-not-exact');
    const specs = routes.map((r, i) => {
      const { parsed, matchers, window } = checkRoute({
        name: r.name,
        matchers: r.matchers,
        continueMatching: r.continueMatching,
        isDefault: r.isDefault,
      });
      return { spec: routeSpecOf(`r${i}`, parsed, matchers, window), receiver: r.receiver, isDefault: r.isDefault };
    });
    const receiverOf = new Map(specs.map((s) => [s.spec.id, s.receiver]));
    const table = compileTable(
      tableSpec(
        specs.filter((s) => !s.isDefault).map((s) => s.spec),
        specs.find((s) => s.isDefault)?.spec ?? null,
      ),
    );
    const disagreements: string[] = [];
    const sets = labelSets();
    for (const labels of sets) {
      const args = Object.entries(labels).map(([k, v]) => `${k}=${v}`);
      const run = spawnSync(AMTOOL, ['config', 'routes', 'test', `--config.file=${file}`, ...args], { encoding: 'utf8' });
      const theirs = run.stdout.trim();
      const ours = decideRoutes(table, labels)
        .routes.map((r) => receiverOf.get(r.id))
        .filter(Boolean)
        .join(',');
      if (theirs !== ours) disagreements.push(`${JSON.stringify(labels)}: amtool ${theirs}, AlertAgent ${ours}`);
    }
    if (exact) expect(disagreements).toEqual([]);
    // Where the report says the routes changed, the difference is the one it names: the parent route also taking the alert.
    else expect(disagreements.length).toBeGreaterThan(0);
  });
});
