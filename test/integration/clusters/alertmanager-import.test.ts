import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestServer, type TestServer } from '../../support/app';
import { runCli } from '../../support/cli-process';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';
import { TEST_ENCRYPTION_KEY } from '../../support/env';

/** A plain Alertmanager setup as a team runs it: global SMTP and Slack, several notifiers, a route tree, inhibit rules, a mute interval. */
const CONFIG = `global:
  smtp_smarthost: smtp.example.com:587
  smtp_from: alertmanager@example.com
  smtp_auth_username: alertmanager
  smtp_auth_password: smtp-secret
  slack_api_url: https://hooks.slack.com/services/T000/B000/XXXX
route:
  receiver: default-mail
  group_by: [alertname, cluster]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: archive
      continue: true
    - receiver: db-team
      matchers: ['team="db"']
      mute_time_intervals: [weekend-maintenance]
      routes:
        - receiver: db-pager
          match: { severity: critical }
    - receiver: web-slack
      match_re: { service: 'web|frontend' }
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname, cluster]
time_intervals:
  - name: weekend-maintenance
    time_intervals:
      - weekdays: ['saturday']
        times: [{ start_time: '02:00', end_time: '04:00' }]
        location: Europe/Berlin
receivers:
  - name: default-mail
    email_configs:
      - to: oncall@example.com, lead@example.com
  - name: archive
    webhook_configs:
      - url: https://archive.example.com/alerts
        http_config:
          authorization: { credentials: archive-token }
  - name: db-team
    slack_configs:
      - channel: '#db'
  - name: db-pager
    pagerduty_configs:
      - routing_key: 0123456789abcdef0123456789abcdef
  - name: web-slack
    slack_configs:
      - api_url: https://hooks.slack.com/services/T000/B000/WEB
  - name: owner-mail
    email_configs:
      - to: '{{ .GroupLabels.owner }}@example.com'
  - name: ops-chat
    telegram_configs:
      - bot_token: '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0'
        chat_id: -1001234567890
        message: '{{ template "telegram.default.message" . }}'
  - name: old-pager
    pagerduty_configs:
      - service_key: fedcba9876543210fedcba9876543210
`;

describe('import from Alertmanager', () => {
  let db: TestDatabase;
  let server: TestServer;
  let admin: string;
  let viewer: string;
  const IMPORT =
    'mutation($y: String!, $d: Boolean) { importAlertmanagerConfig(yaml: $y, dryRun: $d) { dryRun items { source status detail } changes { kind name action } } }';

  beforeAll(async () => {
    db = await createTestDatabase();
    server = await startTestServer({ DATABASE_URL: db.url });
    admin = await server.issueToken('admin');
    viewer = await server.issueToken('viewer');
  });

  afterAll(async () => {
    await server?.stop();
    await db?.drop();
  });

  it('a dry run reports every item and writes nothing', async () => {
    const dry = await server.gql(IMPORT, { y: CONFIG, d: true }, admin);
    expect(dry.errors).toBeUndefined();
    const result = dry.data!.importAlertmanagerConfig;
    expect(result.dryRun).toBe(true);
    const status = (source: string) => result.items.find((i: { source: string }) => i.source === source)?.status;
    expect(status('receivers.0.email_configs.0')).toBe('mapped');
    expect(status('receivers.1.webhook_configs.0')).toBe('mapped');
    expect(status('receivers.2.slack_configs.0')).toBe('mapped with changes');
    expect(status('receivers.3.pagerduty_configs.0')).toBe('mapped');
    expect(result.items.find((i: { source: string }) => i.source === 'receivers.3.pagerduty_configs.0').detail).toBe(
      'receiver db-pager: PagerDuty channel "am:db-pager/pagerduty0"',
    );
    expect(status('route')).toBe('mapped with changes');
    expect(status('route.routes.1.routes.0')).toBe('mapped');
    expect(status('receivers.6.telegram_configs.0')).toBe('mapped with changes');
    expect(result.items.find((i: { source: string }) => i.source === 'receivers.6.telegram_configs.0').detail).toBe(
      `receiver ops-chat: Telegram channel "am:ops-chat/telegram0"; message not carried (AlertAgent's Telegram template is used)`,
    );
    expect(status('receivers.7.pagerduty_configs.0')).toBe('not mapped');
    expect(result.items.find((i: { source: string }) => i.source === 'receivers.7.pagerduty_configs.0').detail).toContain(
      'Events API v1 service_key',
    );
    expect(status('inhibit_rules.0')).toBe('mapped');
    // Alertmanager takes a templated address; an AlertAgent e-mail channel does not: reported, left out, the rest imported.
    const templated = result.items.filter((i: { source: string }) => i.source === 'receivers.5.email_configs.0');
    expect(templated.map((i: { status: string }) => i.status)).toEqual(['not mapped']);
    expect(templated.map((i: { detail: string }) => i.detail).join(' ')).toContain('would be refused');
    expect(result.changes.every((c: { action: string }) => c.action === 'create')).toBe(true);
    expect(result.changes.map((c: { kind: string }) => c.kind).sort()).toEqual([
      'channel',
      'channel',
      'channel',
      'channel',
      'channel',
      'channel',
      'inhibition rule',
      'maintenance window',
      'route',
      'route',
      'route',
      'route',
      'route',
    ]);
    expect((await server.gql('{ routes { items { id } } }', {}, admin)).data!.routes.items).toEqual([]);
  });

  it('imports channels with sealed secrets, routes with the same routing, rules and windows; a second import changes nothing', async () => {
    const imported = await server.gql(IMPORT, { y: CONFIG }, admin);
    expect(imported.errors).toBeUndefined();
    const routes = (
      await server.gql(
        '{ routes { items { name matchers channelIds continueMatching isDefault groupWaitSeconds groupIntervalSeconds repeatIntervalSeconds } } }',
        {},
        admin,
      )
    ).data!.routes.items;
    expect(routes.map((r: { name: string }) => r.name)).toEqual([
      'am:archive (route 0)',
      'am:db-pager (route 1.0)',
      'am:db-team (route 1)',
      'am:web-slack (route 2)',
      'am:default-mail (root)',
    ]);
    expect(routes[0]).toMatchObject({
      matchers: [],
      continueMatching: true,
      isDefault: false,
      groupWaitSeconds: 30,
      groupIntervalSeconds: 300,
      repeatIntervalSeconds: 14_400,
    });
    expect(routes[1]).toMatchObject({ matchers: ['team="db"', 'severity="critical"'] });
    expect(routes[1].channelIds).toHaveLength(1);
    expect(routes[4]).toMatchObject({ isDefault: true, matchers: [] });
    const channels = (await server.gql('{ channels(limit: 50) { items { name type config } } }', {}, viewer)).data!.channels.items;
    const archive = channels.find((c: { name: string }) => c.name === 'am:archive/webhook0');
    expect(archive.type).toBe('webhook');
    // Secrets are sealed and never answered in clear.
    expect(JSON.stringify(channels)).not.toContain('archive-token');
    expect(JSON.stringify(channels)).not.toContain('smtp-secret');
    expect(JSON.stringify(channels)).not.toContain('0123456789abcdef0123456789abcdef');
    expect(JSON.stringify(channels)).not.toContain('AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0');
    expect(channels.map((c: { type: string }) => c.type).sort()).toEqual(['email', 'pagerduty', 'slack', 'slack', 'telegram', 'webhook']);
    const windows = (await server.gql('{ maintenanceWindows { name matchers expression durationSeconds timeZone } }', {}, admin)).data!
      .maintenanceWindows;
    expect(windows).toEqual([
      {
        name: 'am:mute/weekend-maintenance/0/1',
        matchers: ['team="db"'],
        expression: 'FREQ=DAILY;BYDAY=SA',
        durationSeconds: 7200,
        timeZone: 'Europe/Berlin',
      },
    ]);
    const rules = (await server.gql('{ inhibitionRules { name sourceMatchers targetMatchers equal } }', {}, admin)).data!.inhibitionRules;
    expect(rules).toEqual([
      {
        name: 'am:inhibit/0',
        sourceMatchers: ['severity="critical"'],
        targetMatchers: ['severity="warning"'],
        equal: ['alertname', 'cluster'],
      },
    ]);

    const again = await server.gql(IMPORT, { y: CONFIG }, admin);
    expect(again.data!.importAlertmanagerConfig.changes.filter((c: { action: string }) => c.action !== 'unchanged')).toEqual([]);
    // An edited file updates what it names.
    const edited = await server.gql(
      IMPORT,
      { y: CONFIG.replace("match_re: { service: 'web|frontend' }", "match_re: { service: 'web|frontend|cdn' }") },
      admin,
    );
    expect(edited.data!.importAlertmanagerConfig.changes.filter((c: { action: string }) => c.action !== 'unchanged')).toEqual([
      { kind: 'route', name: 'am:web-slack (route 2)', action: 'update' },
    ]);
  });

  it('refuses a file Alertmanager would refuse, naming the field, and writes nothing; viewers may not import', async () => {
    const fresh = await createTestDatabase();
    const alone = await startTestServer({ DATABASE_URL: fresh.url });
    try {
      const token = await alone.issueToken('admin');
      const refused = await alone.gql(
        IMPORT,
        { y: CONFIG.replace('receiver: db-pager\n          match', 'receiver: nobody\n          match') },
        token,
      );
      expect(refused.errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(JSON.stringify(refused.errors?.[0])).toContain('undefined receiver');
      expect((await alone.gql('{ routes { items { id } } }', {}, token)).data!.routes.items).toEqual([]);
      expect((await alone.gql(IMPORT, { y: 'route: [', d: true }, token)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      const bomb = Array.from(
        { length: 10 },
        (_, i) =>
          `a${i}: &a${i} [${
            i === 0
              ? 'x, x, x, x, x, x, x, x, x, x'
              : Array(10)
                  .fill(`*a${i - 1}`)
                  .join(', ')
          }]`,
      ).join('\n');
      expect((await alone.gql(IMPORT, { y: `${bomb}\n${CONFIG}`, d: true }, token)).errors?.[0]?.extensions?.code).toBe('BAD_USER_INPUT');
      expect(
        (await alone.gql(IMPORT, { y: 'route: &r\n  receiver: a\n  routes: [*r]\nreceivers:\n  - name: a\n', d: true }, token)).errors?.[0]
          ?.extensions?.code,
      ).toBe('BAD_USER_INPUT');
      const viewerToken = await alone.issueToken('viewer');
      expect((await alone.gql(IMPORT, { y: CONFIG, d: true }, viewerToken)).errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
    } finally {
      await alone.stop();
      await fresh.drop();
    }
  });

  it('alertagent import alertmanager FILE --dry-run prints the report', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aa-import-cli-'));
    try {
      const file = join(dir, 'alertmanager.yml');
      writeFileSync(file, CONFIG);
      const routesNow = async () =>
        JSON.stringify((await server.gql('{ routes { items { name matchers } } }', {}, admin)).data!.routes.items);
      const before = await routesNow();
      const out = await runCli(['import', 'alertmanager', file, '--dry-run'], {
        DATABASE_URL: db.url,
        ENCRYPTION_KEY: TEST_ENCRYPTION_KEY,
      });
      expect(out.code).toBe(0);
      expect(out.stdout).toContain('mapped              receivers.3.pagerduty_configs.0: receiver db-pager: PagerDuty channel');
      expect(out.stdout).toContain(
        'not mapped          receivers.7.pagerduty_configs.0: receiver old-pager: it uses an Events API v1 service_key',
      );
      expect(out.stdout).toMatch(/dry run, nothing written: would create \d+, update \d+, leave \d+ unchanged/);
      expect(await routesNow()).toBe(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
