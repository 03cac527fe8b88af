import { parse } from 'yaml';
import { ALERTAGENT_RECEIVER, checkAlertmanagerFile, renderAlertmanagerConfig } from '../../../src/services/clusters/alertmanager-config';
import { BadUserInputError } from '../../../src/errors';
import { amtoolCheck } from '../../support/alertmanager';

const ROOT = 'route:\n  receiver: a\n';
const A = 'receivers:\n  - name: a\n';

const SMTP = '  smtp_smarthost: smtp.example.com:587\n  smtp_from: alertmanager@example.com\n';
/** [name, the receiver's notifier lines, `global` lines]: each notifier valid, then with one mistake people make. */
const NOTIFIER_CASES: Array<[string, string, string?]> = [
  [
    'email',
    '    email_configs:\n      - to: oncall@example.com\n        headers: { Subject: "[{{ .Status }}] alert" }\n        send_resolved: true\n',
    SMTP,
  ],
  [
    'email-local-smarthost',
    '    email_configs:\n      - to: oncall@example.com\n        from: am@example.com\n        smarthost: smtp.example.com:25\n        require_tls: false\n        auth_username: am\n        auth_password: secret\n',
  ],
  ['email-no-to', '    email_configs:\n      - send_resolved: true\n', SMTP],
  ['email-no-smarthost', '    email_configs:\n      - to: oncall@example.com\n        from: am@example.com\n'],
  ['email-no-from', '    email_configs:\n      - to: oncall@example.com\n        smarthost: smtp.example.com:25\n'],
  ['email-duplicate-header', '    email_configs:\n      - to: oncall@example.com\n        headers: { subject: a, Subject: b }\n', SMTP],
  ['email-unknown-field', '    email_configs:\n      - to: oncall@example.com\n        cc: boss@example.com\n', SMTP],
  ['email-tls-config', '    email_configs:\n      - to: oncall@example.com\n        tls_config: { insecure_skip_verify: true }\n', SMTP],
  [
    'slack',
    '    slack_configs:\n      - channel: "#alerts"\n        title: "{{ .CommonLabels.alertname }}"\n        send_resolved: true\n        actions:\n          - type: button\n            text: Runbook\n            url: "{{ .CommonAnnotations.runbook_url }}"\n',
    '  slack_api_url: https://hooks.slack.com/services/T000/B000/XXXX\n',
  ],
  ['slack-local-url', '    slack_configs:\n      - api_url: https://hooks.slack.com/services/T000/B000/XXXX\n        channel: "#alerts"\n'],
  ['slack-no-url', '    slack_configs:\n      - channel: "#alerts"\n'],
  [
    'slack-action-without-text',
    '    slack_configs:\n      - api_url: https://hooks.slack.com/services/T000/B000/XXXX\n        actions:\n          - type: button\n            url: https://runbooks.example.com\n',
  ],
  ['slack-unknown-field', '    slack_configs:\n      - api_url: https://hooks.slack.com/services/T000/B000/XXXX\n        webhook: x\n'],
  [
    'pagerduty',
    '    pagerduty_configs:\n      - routing_key: 0123456789abcdef0123456789abcdef\n        severity: "{{ .CommonLabels.severity }}"\n        details: { runbook: "{{ .CommonAnnotations.runbook_url }}" }\n',
  ],
  [
    'pagerduty-service-key',
    '    pagerduty_configs:\n      - service_key: abcdef\n        url: https://events.pagerduty.com/generic/2010-04-15/create_event.json\n',
  ],
  ['pagerduty-no-key', '    pagerduty_configs:\n      - severity: critical\n'],
  ['pagerduty-unknown-field', '    pagerduty_configs:\n      - routing_key: abc\n        integration_key: abc\n'],
  [
    'opsgenie',
    '    opsgenie_configs:\n      - api_key: 00000000-0000-0000-0000-000000000000\n        responders:\n          - name: platform\n            type: team\n        priority: P1\n',
  ],
  [
    'opsgenie-global-key',
    '    opsgenie_configs:\n      - message: "{{ .CommonLabels.alertname }}"\n',
    '  opsgenie_api_key: 00000000-0000-0000-0000-000000000000\n',
  ],
  ['opsgenie-no-key', '    opsgenie_configs:\n      - message: down\n'],
  ['opsgenie-responder-without-name', '    opsgenie_configs:\n      - api_key: abc\n        responders:\n          - type: team\n'],
  [
    'opsgenie-responder-bad-type',
    '    opsgenie_configs:\n      - api_key: abc\n        responders:\n          - name: platform\n            type: squad\n',
  ],
  [
    'wechat',
    '    wechat_configs:\n      - to_party: "2"\n        agent_id: "1000002"\n        message_type: markdown\n',
    '  wechat_api_secret: secret\n  wechat_api_corp_id: ww0123456789\n',
  ],
  ['wechat-no-secret', '    wechat_configs:\n      - corp_id: ww0123456789\n        to_party: "2"\n'],
  ['wechat-bad-message-type', '    wechat_configs:\n      - api_secret: s\n        corp_id: c\n        message_type: html\n'],
  ['victorops', '    victorops_configs:\n      - api_key: abc\n        routing_key: ops\n        custom_fields: { region: eu }\n'],
  ['victorops-no-routing-key', '    victorops_configs:\n      - api_key: abc\n'],
  [
    'victorops-reserved-custom-field',
    '    victorops_configs:\n      - api_key: abc\n        routing_key: ops\n        custom_fields: { entity_state: x }\n',
  ],
  ['victorops-no-api-key', '    victorops_configs:\n      - routing_key: ops\n'],
  ['pushover', '    pushover_configs:\n      - user_key: u0123\n        token: t0123\n        priority: "1"\n        retry: 30s\n'],
  ['pushover-no-token', '    pushover_configs:\n      - user_key: u0123\n'],
  [
    'sns',
    '    sns_configs:\n      - topic_arn: arn:aws:sns:eu-west-1:123456789012:alerts\n        sigv4: { region: eu-west-1 }\n        subject: "{{ .CommonLabels.alertname }}"\n',
  ],
  ['sns-no-target', '    sns_configs:\n      - subject: alert\n'],
  ['telegram', '    telegram_configs:\n      - bot_token: "123:abc"\n        chat_id: -1001234567890\n        parse_mode: HTML\n'],
  ['telegram-no-chat', '    telegram_configs:\n      - bot_token: "123:abc"\n'],
  ['telegram-bad-parse-mode', '    telegram_configs:\n      - bot_token: "123:abc"\n        chat_id: 42\n        parse_mode: Plain\n'],
  [
    'webex',
    '    webex_configs:\n      - room_id: Y2lzY29zcGFyazovL3VzL1JPT00v\n        http_config:\n          authorization: { credentials: token }\n',
  ],
  ['webex-no-authorization', '    webex_configs:\n      - room_id: Y2lzY29zcGFyazovL3VzL1JPT00v\n'],
  ['discord', '    discord_configs:\n      - webhook_url: https://discord.com/api/webhooks/1/abc\n'],
  ['discord-no-url', '    discord_configs:\n      - title: alert\n'],
  ['msteams-not-in-0-25', '    msteams_configs:\n      - webhook_url: https://example.webhook.office.com/x\n'],
  [
    'webhook-http-config-basic-and-bearer',
    '    webhook_configs:\n      - url: https://example.com/hook\n        http_config:\n          basic_auth: { username: u, password: p }\n          bearer_token: t\n',
  ],
  [
    'webhook-http-config-proxy',
    '    webhook_configs:\n      - url: https://example.com/hook\n        http_config:\n          proxy_url: http://proxy.example.com:3128\n',
  ],
  ['notifier-list-null', '    webhook_configs:\n'],
  // Fields later releases added, unknown to 0.25.
  ['webhook-url-file-later-release', '    webhook_configs:\n      - url_file: /etc/alertmanager/hook-url\n'],
  ['telegram-token-file-later-release', '    telegram_configs:\n      - bot_token_file: /etc/alertmanager/telegram\n        chat_id: 42\n'],
  ['pushover-token-file-later-release', '    pushover_configs:\n      - user_key: u\n        token_file: /etc/alertmanager/pushover\n'],
  [
    'file-secrets-0-25-knows',
    '    victorops_configs:\n      - api_key_file: /etc/am/victorops\n        routing_key: ops\n    pagerduty_configs:\n      - routing_key_file: /etc/am/pd\n    opsgenie_configs:\n      - api_key_file: /etc/am/og\n    email_configs:\n      - to: oncall@example.com\n        auth_password_file: /etc/am/smtp\n',
    `${SMTP}  smtp_auth_password_file: /etc/am/smtp\n  victorops_api_key_file: /etc/am/victorops\n`,
  ],
];

/** Configs written for this test, valid and invalid, one or more per rule Alertmanager applies at load time. */
const CORPUS: Array<[string, string]> = [
  ['minimal', ROOT + A],
  [
    'full',
    `global:
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
`,
  ],
  ['durations-mixed', `route:\n  receiver: a\n  group_wait: 500ms\n  group_interval: 1h30m\n  repeat_interval: 1d\n${A}`],
  ['group-wait-zero', `route:\n  receiver: a\n  group_wait: 0s\n${A}`],
  ['empty-matcher-value', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      matchers: ['team=""']\n${A}`],
  ['child-inherits-receiver', `route:\n  receiver: a\n  routes:\n    - matchers: ['a="b"']\n${A}`],
  ['empty-file', ''],
  ['not-yaml', 'route: [receiver: a\n'],
  ['no-route', A],
  ['root-without-receiver', `route:\n  group_wait: 1s\n${A}`],
  ['root-with-matchers', `route:\n  receiver: a\n  matchers: ['a="b"']\n${A}`],
  ['root-with-match', `route:\n  receiver: a\n  match: { a: b }\n${A}`],
  ['root-with-continue', `route:\n  receiver: a\n  continue: true\n${A}`],
  [
    'root-with-mute-interval',
    `route:\n  receiver: a\n  mute_time_intervals: [x]\n${A}mute_time_intervals:\n  - name: x\n    time_intervals: []\n`,
  ],
  ['undefined-receiver', `route:\n  receiver: a\n  routes:\n    - receiver: b\n${A}`],
  ['undefined-root-receiver', `route:\n  receiver: b\n${A}`],
  ['duplicate-receiver', `${ROOT}receivers:\n  - name: a\n  - name: a\n`],
  ['receiver-without-name', `${ROOT}receivers:\n  - name: a\n  - webhook_configs: []\n`],
  ['unknown-top-level-key', `${ROOT + A}routing: {}\n`],
  ['unknown-route-key', `route:\n  receiver: a\n  foo: 1\n${A}`],
  ['unknown-receiver-key', `${ROOT}receivers:\n  - name: a\n    teams_configs: []\n`],
  ['unknown-inhibit-key', `${ROOT + A}inhibit_rules:\n  - source_matchers: ['a="b"']\n    scope: x\n`],
  ['bad-duration-fraction', `route:\n  receiver: a\n  group_wait: 1.5s\n${A}`],
  ['bad-duration-number', `route:\n  receiver: a\n  group_interval: 90\n${A}`],
  ['bad-duration-order', `route:\n  receiver: a\n  repeat_interval: 30m1h\n${A}`],
  ['zero-group-interval', `route:\n  receiver: a\n  group_interval: 0s\n${A}`],
  ['zero-repeat-interval', `route:\n  receiver: a\n  repeat_interval: 0m\n${A}`],
  ['bad-regex-matcher', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      matchers: ['a=~"("']\n${A}`],
  ['bad-regex-match-re', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      match_re: { a: "[" }\n${A}`],
  ['matcher-without-operator', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      matchers: ['severity']\n${A}`],
  ['bad-label-in-match', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      match: { "1x": b }\n${A}`],
  ['group-by-wildcard-and-label', `route:\n  receiver: a\n  group_by: ["...", "x"]\n${A}`],
  ['group-by-duplicate', `route:\n  receiver: a\n  group_by: [x, x]\n${A}`],
  ['group-by-bad-label', `route:\n  receiver: a\n  group_by: ["1abc"]\n${A}`],
  ['undefined-time-interval', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      mute_time_intervals: [nope]\n${A}`],
  ['webhook-without-url', `${ROOT}receivers:\n  - name: a\n    webhook_configs:\n      - send_resolved: true\n`],
  ['webhook-url-without-scheme', `${ROOT}receivers:\n  - name: a\n    webhook_configs:\n      - url: "not a url"\n`],
  ['webhook-url-ftp', `${ROOT}receivers:\n  - name: a\n    webhook_configs:\n      - url: "ftp://example.com/x"\n`],
  ['webhook-url-and-file', `${ROOT}receivers:\n  - name: a\n    webhook_configs:\n      - url: "http://x"\n        url_file: /tmp/x\n`],
  ['webhook-unknown-key', `${ROOT}receivers:\n  - name: a\n    webhook_configs:\n      - url: "http://x"\n        retries: 3\n`],
  ['inhibit-bad-regex', `${ROOT + A}inhibit_rules:\n  - source_matchers: ['a=~"("']\n`],
  ['inhibit-bad-equal', `${ROOT + A}inhibit_rules:\n  - source_matchers: ['a="b"']\n    equal: ["1x"]\n`],
  // Every notifier and `global`, as people write them, valid and each with one realistic mistake.
  ...NOTIFIER_CASES.map(([name, receiver, global]): [string, string] => [
    name,
    `${global ? `global:\n${global}` : ''}${ROOT}receivers:\n  - name: a\n${receiver}`,
  ]),
  [
    'child-receiver-null-inherits',
    `route:\n  receiver: a\n  routes:\n    - receiver:\n      matchers: ['a="b"']\n    - receiver: null\n      match_re: { service: api }\n${A}`,
  ],
  ['match-re-null-value', `route:\n  receiver: a\n  routes:\n    - receiver: a\n      match_re: { service: null }\n${A}`],
  ['global-unknown-key', `global:\n  smtp_host: x\n${ROOT}${A}`],
  ['global-bad-resolve-timeout', `global:\n  resolve_timeout: soon\n${ROOT}${A}`],
  [
    'global-http-config-two-auths',
    `global:\n  http_config:\n    basic_auth: { username: u, password: p }\n    authorization: { credentials: t }\n${ROOT}${A}`,
  ],
  [
    'global-http-config-tls',
    `global:\n  http_config:\n    tls_config: { insecure_skip_verify: true, server_name: am.example.com, min_version: TLS12 }\n    follow_redirects: true\n${ROOT}${A}`,
  ],
  ['global-http-config-bad-tls-version', `global:\n  http_config:\n    tls_config: { min_version: SSL3 }\n${ROOT}${A}`],
  ['global-http-config-cert-without-key', `global:\n  http_config:\n    tls_config: { cert_file: /etc/am/cert.pem }\n${ROOT}${A}`],
  ['global-http-config-unknown', `global:\n  http_config:\n    timeout: 10s\n${ROOT}${A}`],
  [
    'global-smtp-password-and-file',
    `global:\n  smtp_smarthost: mail:25\n  smtp_from: am@example.com\n  smtp_auth_password: p\n  smtp_auth_password_file: /etc/am/smtp\n${ROOT}${A}`,
  ],
  [
    'email-password-and-file',
    `global:\n  smtp_smarthost: mail:25\n  smtp_from: am@example.com\n${ROOT}receivers:\n  - name: a\n    email_configs:\n      - to: x@example.com\n        auth_password: p\n        auth_password_file: /etc/am/smtp\n`,
  ],
  ['proxy-url-bare-word', `global:\n  http_config:\n    proxy_url: squid\n${ROOT}${A}`],
  // Hostile YAML: an alias bomb (10^10 nodes expanded) and an alias inside the node it names.
  [
    'alias-bomb',
    `${Array.from(
      { length: 10 },
      (_, i) =>
        `a${i}: &a${i} [${
          i === 0
            ? 'x, x, x, x, x, x, x, x, x, x'
            : Array(10)
                .fill(`*a${i - 1}`)
                .join(', ')
        }]`,
    ).join('\n')}\n${ROOT}${A}`,
  ],
  ['alias-cycle', `route: &r\n  receiver: a\n  routes: [*r]\n${A}`],
  ['global-slack-url-not-a-url', `global:\n  slack_api_url: hooks.slack.com/services/x\n${ROOT}${A}`],
];

describe('Alertmanager config validation agrees with amtool check-config', () => {
  it(`judges each of the ${CORPUS.length} corpus files as amtool does`, () => {
    const disagreements: string[] = [];
    let invalid = 0;
    for (const [name, text] of CORPUS) {
      const ours = checkAlertmanagerFile(text);
      const amtool = amtoolCheck(text);
      if (!amtool.ok) invalid += 1;
      if (process.env.AM_CORPUS_DEBUG)
        console.log(`${name}: ${amtool.ok ? 'valid' : amtool.output.split('\n').find((l) => l.includes('FAILED'))}`);
      if ((ours.length === 0) !== amtool.ok)
        disagreements.push(
          `${name}: amtool ${amtool.ok ? 'accepts' : 'refuses'}, we ${ours.length === 0 ? 'accept' : `refuse (${ours.map((p) => p.message).join('; ')})`}\n${amtool.output}`,
        );
    }
    console.log(
      `Alertmanager config corpus: ${CORPUS.length - disagreements.length}/${CORPUS.length} verdicts agree with amtool (${invalid} invalid files)`,
    );
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
      {
        name: 'alertagent',
        webhook_configs: [
          { url: parts.webhookUrl, send_resolved: true, http_config: { authorization: { type: 'Bearer', credentials: 'aaw_secret' } } },
        ],
      },
    ]);
    expect(rendered.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(amtoolCheck(rendered.content).ok).toBe(true);
  });

  it('puts managed routes before the template’s own and keeps the template’s receivers and inhibit rules', () => {
    const rendered = renderAlertmanagerConfig({
      ...parts,
      configTemplate:
        "route:\n  group_by: [alertname]\n  routes:\n    - receiver: mail\n      matchers: ['team=\"db\"']\nreceivers:\n  - name: mail\n    webhook_configs: [{ url: 'http://mail-bridge/hook' }]\ninhibit_rules:\n  - source_matchers: ['severity=\"critical\"']\n    target_matchers: ['severity=\"warning\"']\n",
      routes: '- receiver: alertagent\n  matchers: [\'severity="critical"\']\n  continue: true\n',
      inhibitRules: '- source_matchers: [\'alertname="NodeDown"\']\n  target_matchers: [\'alertname="TargetDown"\']\n  equal: [instance]\n',
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
      renderAlertmanagerConfig({
        ...parts,
        routes: '- receiver: pager\n  group_wait: 1.5s\n',
        inhibitRules: '- source_matchers: [\'a=~"("\']\n',
      });
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
    expect(() => renderAlertmanagerConfig({ ...parts, configTemplate: 'receivers:\n  - name: alertagent\n' })).toThrow(
      /reserved for AlertAgent/,
    );
  });
});
