import { parse } from 'yaml';
import { ALERTAGENT_RECEIVER, checkAlertmanagerFile, renderAlertmanagerConfig } from '../../../src/services/clusters/alertmanager-config';
import { BadUserInputError } from '../../../src/errors';
import { amtoolCheck } from '../../support/alertmanager';

const ROOT = 'route:\n  receiver: a\n';
const A = 'receivers:\n  - name: a\n';

/** Configs written for this test, valid and invalid, one or more per rule Alertmanager applies at load time. */
const CORPUS: Array<[string, string]> = [
  ['minimal', ROOT + A],
  ['full', `global:
  resolve_timeout: 5m
templates: ['/etc/alertmanager/templates/*.tmpl']
route:
  receiver: a
  group_by: [alertname, cluster]
  group_wait: 30s
  group_interval: 5m
  repeat_interval: 4h
  routes:
    - receiver: hook
      matchers: ['severity="critical"', 'team=~"db|infra"']
      continue: true
    - receiver: a
      match: { env: prod }
      match_re: { service: 'api-.*' }
      group_by: ['...']
      mute_time_intervals: [nights]
      active_time_intervals: [weekdays]
receivers:
  - name: a
  - name: hook
    webhook_configs:
      - url: https://example.com/hook
        send_resolved: true
        max_alerts: 10
        http_config:
          authorization: { type: Bearer, credentials: abc }
time_intervals:
  - name: weekdays
    time_intervals: [{ weekdays: ['monday:friday'] }]
mute_time_intervals:
  - name: nights
    time_intervals: [{ times: [{ start_time: '00:00', end_time: '06:00' }] }]
inhibit_rules:
  - source_matchers: ['severity="critical"']
    target_matchers: ['severity="warning"']
    equal: [alertname, cluster]
  - source_match: { severity: critical }
    target_match_re: { severity: 'warning|info' }
`],
  ['durations-mixed', 'route:\n  receiver: a\n  group_wait: 500ms\n  group_interval: 1h30m\n  repeat_interval: 1d\n' + A],
  ['group-wait-zero', 'route:\n  receiver: a\n  group_wait: 0s\n' + A],
  ['empty-matcher-value', 'route:\n  receiver: a\n  routes:\n    - receiver: a\n      matchers: [\'team=""\']\n' + A],
  ['child-inherits-receiver', 'route:\n  receiver: a\n  routes:\n    - matchers: [\'a="b"\']\n' + A],
  ['empty-file', ''],
  ['not-yaml', 'route: [receiver: a\n'],
  ['no-route', A],
  ['root-without-receiver', 'route:\n  group_wait: 1s\n' + A],
  ['root-with-matchers', 'route:\n  receiver: a\n  matchers: [\'a="b"\']\n' + A],
  ['root-with-match', 'route:\n  receiver: a\n  match: { a: b }\n' + A],
  ['root-with-continue', 'route:\n  receiver: a\n  continue: true\n' + A],
  ['root-with-mute-interval', 'route:\n  receiver: a\n  mute_time_intervals: [x]\n' + A + 'mute_time_intervals:\n  - name: x\n    time_intervals: []\n'],
  ['undefined-receiver', 'route:\n  receiver: a\n  routes:\n    - receiver: b\n' + A],
  ['undefined-root-receiver', 'route:\n  receiver: b\n' + A],
  ['duplicate-receiver', ROOT + 'receivers:\n  - name: a\n  - name: a\n'],
  ['receiver-without-name', ROOT + 'receivers:\n  - name: a\n  - webhook_configs: []\n'],
  ['unknown-top-level-key', ROOT + A + 'routing: {}\n'],
  ['unknown-route-key', 'route:\n  receiver: a\n  foo: 1\n' + A],
  ['unknown-receiver-key', ROOT + 'receivers:\n  - name: a\n    teams_configs: []\n'],
  ['unknown-inhibit-key', ROOT + A + 'inhibit_rules:\n  - source_matchers: [\'a="b"\']\n    scope: x\n'],
  ['bad-duration-fraction', 'route:\n  receiver: a\n  group_wait: 1.5s\n' + A],
  ['bad-duration-number', 'route:\n  receiver: a\n  group_interval: 90\n' + A],
  ['bad-duration-order', 'route:\n  receiver: a\n  repeat_interval: 30m1h\n' + A],
  ['zero-group-interval', 'route:\n  receiver: a\n  group_interval: 0s\n' + A],
  ['zero-repeat-interval', 'route:\n  receiver: a\n  repeat_interval: 0m\n' + A],
  ['bad-regex-matcher', 'route:\n  receiver: a\n  routes:\n    - receiver: a\n      matchers: [\'a=~"("\']\n' + A],
  ['bad-regex-match-re', 'route:\n  receiver: a\n  routes:\n    - receiver: a\n      match_re: { a: "[" }\n' + A],
  ['matcher-without-operator', 'route:\n  receiver: a\n  routes:\n    - receiver: a\n      matchers: [\'severity\']\n' + A],
  ['bad-label-in-match', 'route:\n  receiver: a\n  routes:\n    - receiver: a\n      match: { "1x": b }\n' + A],
  ['group-by-wildcard-and-label', 'route:\n  receiver: a\n  group_by: ["...", "x"]\n' + A],
  ['group-by-duplicate', 'route:\n  receiver: a\n  group_by: [x, x]\n' + A],
  ['group-by-bad-label', 'route:\n  receiver: a\n  group_by: ["1abc"]\n' + A],
  ['undefined-time-interval', 'route:\n  receiver: a\n  routes:\n    - receiver: a\n      mute_time_intervals: [nope]\n' + A],
  ['webhook-without-url', ROOT + 'receivers:\n  - name: a\n    webhook_configs:\n      - send_resolved: true\n'],
  ['webhook-url-without-scheme', ROOT + 'receivers:\n  - name: a\n    webhook_configs:\n      - url: "not a url"\n'],
  ['webhook-url-ftp', ROOT + 'receivers:\n  - name: a\n    webhook_configs:\n      - url: "ftp://example.com/x"\n'],
  ['webhook-url-and-file', ROOT + 'receivers:\n  - name: a\n    webhook_configs:\n      - url: "http://x"\n        url_file: /tmp/x\n'],
  ['webhook-unknown-key', ROOT + 'receivers:\n  - name: a\n    webhook_configs:\n      - url: "http://x"\n        retries: 3\n'],
  ['inhibit-bad-regex', ROOT + A + 'inhibit_rules:\n  - source_matchers: [\'a=~"("\']\n'],
  ['inhibit-bad-equal', ROOT + A + 'inhibit_rules:\n  - source_matchers: [\'a="b"\']\n    equal: ["1x"]\n'],
];

describe('Alertmanager config validation agrees with amtool check-config', () => {
  it(`judges each of the ${CORPUS.length} corpus files as amtool does`, () => {
    const disagreements: string[] = [];
    let invalid = 0;
    for (const [name, text] of CORPUS) {
      const ours = checkAlertmanagerFile(text);
      const amtool = amtoolCheck(text);
      if (!amtool.ok) invalid += 1;
      if ((ours.length === 0) !== amtool.ok) disagreements.push(`${name}: amtool ${amtool.ok ? 'accepts' : 'refuses'}, we ${ours.length === 0 ? 'accept' : `refuse (${ours.map((p) => p.message).join('; ')})`}\n${amtool.output}`);
    }
    console.log(`Alertmanager config corpus: ${CORPUS.length - disagreements.length}/${CORPUS.length} verdicts agree with amtool (${invalid} invalid files)`);
    expect(disagreements).toEqual([]);
    expect(invalid).toBeGreaterThan(30);
  });
});

describe('rendering a cluster config', () => {
  const parts = {
    clusterName: 'eu-1',
    configTemplate: '',
    routes: '',
    inhibitRules: '',
    webhookUrl: 'http://alertagent:4000/api/v1/alerts/alertmanager/eu-1',
    webhookToken: 'aaw_secret',
  };

  it('adds AlertAgent’s webhook receiver with the cluster’s credentials and routes to it by default', () => {
    const rendered = renderAlertmanagerConfig(parts);
    const doc = parse(rendered.content);
    expect(doc.route.receiver).toBe(ALERTAGENT_RECEIVER);
    expect(doc.receivers).toEqual([
      { name: 'alertagent', webhook_configs: [{ url: parts.webhookUrl, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: 'aaw_secret' } } }] },
    ]);
    expect(rendered.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(amtoolCheck(rendered.content).ok).toBe(true);
  });

  it('puts managed routes before the template’s own and keeps the template’s receivers and inhibit rules', () => {
    const rendered = renderAlertmanagerConfig({
      ...parts,
      configTemplate: "route:\n  group_by: [alertname]\n  routes:\n    - receiver: mail\n      matchers: ['team=\"db\"']\nreceivers:\n  - name: mail\n    webhook_configs: [{ url: 'http://mail-bridge/hook' }]\ninhibit_rules:\n  - source_matchers: ['severity=\"critical\"']\n    target_matchers: ['severity=\"warning\"']\n",
      routes: "- receiver: alertagent\n  matchers: ['severity=\"critical\"']\n  continue: true\n",
      inhibitRules: "- source_matchers: ['alertname=\"NodeDown\"']\n  target_matchers: ['alertname=\"TargetDown\"']\n  equal: [instance]\n",
    });
    const doc = parse(rendered.content);
    expect(doc.route.group_by).toEqual(['alertname']);
    expect(doc.route.routes.map((r: { receiver: string }) => r.receiver)).toEqual(['alertagent', 'mail']);
    expect(doc.receivers.map((r: { name: string }) => r.name)).toEqual(['mail', 'alertagent']);
    expect(doc.inhibit_rules).toHaveLength(2);
    expect(amtoolCheck(rendered.content).ok).toBe(true);
  });

  it('is deterministic: the same parts give the same hash', () => {
    expect(renderAlertmanagerConfig(parts).hash).toBe(renderAlertmanagerConfig({ ...parts }).hash);
    expect(renderAlertmanagerConfig({ ...parts, webhookToken: 'aaw_other' }).hash).not.toBe(renderAlertmanagerConfig(parts).hash);
  });

  it('refuses, with every reason and where it is, a config Alertmanager would refuse', () => {
    let error: unknown;
    try {
      renderAlertmanagerConfig({ ...parts, routes: "- receiver: pager\n  group_wait: 1.5s\n", inhibitRules: "- source_matchers: ['a=~\"(\"']\n" });
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(BadUserInputError);
    const issues = (error as BadUserInputError).details.issues as Array<{ field: string; message: string }>;
    expect(issues).toEqual(
      expect.arrayContaining([
        { field: 'route.routes.0.receiver', message: 'undefined receiver "pager" used in route' },
        { field: 'route.routes.0.group_wait', message: 'not a valid duration string: "1.5s"' },
        expect.objectContaining({ field: 'inhibit_rules.0.source_matchers.0', message: expect.stringContaining('error parsing regexp') }),
      ]),
    );
  });

  it('refuses YAML that does not parse, or of the wrong shape, naming the part', () => {
    expect(() => renderAlertmanagerConfig({ ...parts, routes: 'receiver: x' })).toThrow('routes: expected a YAML list');
    expect(() => renderAlertmanagerConfig({ ...parts, configTemplate: 'route: [' })).toThrow(/configTemplate: not valid YAML at line 1/);
    expect(() => renderAlertmanagerConfig({ ...parts, configTemplate: 'receivers:\n  - name: alertagent\n' })).toThrow(/reserved for AlertAgent/);
  });
});
