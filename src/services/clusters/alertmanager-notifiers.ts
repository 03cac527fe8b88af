/**
 * What Alertmanager 0.25 accepts in `global` and in each notifier of a receiver when it loads a
 * file: the fields each knows (it decodes strictly: any other field refuses the file), what each
 * requires, and what it may take from `global` instead.
 */

type Node = Record<string, unknown>;
export type Problem = (field: string, message: string) => void;

/** A YAML mapping, as a parsed alertmanager.yml holds them. */
export const isObject = (v: unknown): v is Node => typeof v === 'object' && v !== null && !Array.isArray(v);
/** Set the way Go's decoder sees a string field: present and not empty. */
const given = (v: unknown) => v !== undefined && v !== null && v !== '';

const TLS_KEYS = [
  'ca',
  'cert',
  'key',
  'ca_file',
  'cert_file',
  'key_file',
  'server_name',
  'insecure_skip_verify',
  'min_version',
  'max_version',
];
const HTTP_KEYS = [
  'basic_auth',
  'authorization',
  'oauth2',
  'bearer_token',
  'bearer_token_file',
  'tls_config',
  'proxy_url',
  'no_proxy',
  'proxy_from_environment',
  'proxy_connect_header',
  'follow_redirects',
  'enable_http2',
];
const GLOBAL_KEYS = [
  'resolve_timeout',
  'http_config',
  'smtp_from',
  'smtp_hello',
  'smtp_smarthost',
  'smtp_auth_username',
  'smtp_auth_password',
  'smtp_auth_password_file',
  'smtp_auth_secret',
  'smtp_auth_identity',
  'smtp_require_tls',
  'slack_api_url',
  'slack_api_url_file',
  'victorops_api_key',
  'victorops_api_key_file',
  'victorops_api_url',
  'pagerduty_url',
  'opsgenie_api_key',
  'opsgenie_api_key_file',
  'opsgenie_api_url',
  'wechat_api_url',
  'wechat_api_secret',
  'wechat_api_corp_id',
  'telegram_api_url',
  'webex_api_url',
];

interface NotifierRule {
  keys: string[];
  /** Why Alertmanager refuses this notifier, given `global`; null when it loads. */
  check: (n: Node, global: Node) => string | null;
}

/** Alertmanager's URL fields take http and https only; text without a scheme reads as an empty one. */
function unsupportedScheme(url: unknown): string | null {
  let scheme = '';
  try {
    scheme = new URL(String(url)).protocol.replace(':', '');
  } catch {
    // no scheme: refused below, as Alertmanager does
  }
  return scheme === 'http' || scheme === 'https' ? null : `unsupported scheme "${scheme}" for URL`;
}

const oneOf = (n: Node, a: string, b: string) => (given(n[a]) && given(n[b]) ? `at most one of ${a} & ${b} must be configured` : null);

/** Per notifier list of a receiver. */
export const NOTIFIERS: Record<string, NotifierRule> = {
  email_configs: {
    keys: [
      'send_resolved',
      'to',
      'from',
      'hello',
      'smarthost',
      'auth_username',
      'auth_password',
      'auth_password_file',
      'auth_secret',
      'auth_identity',
      'headers',
      'html',
      'text',
      'require_tls',
      'tls_config',
    ],
    check: (n, g) => {
      if (!given(n.to)) return 'missing to address in email config';
      if (isObject(n.headers)) {
        const seen = new Set<string>();
        for (const name of Object.keys(n.headers)) {
          const canonical = name.toLowerCase().replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
          if (seen.has(canonical)) return `duplicate header "${canonical}" in email config`;
          seen.add(canonical);
        }
      }
      if (!given(n.smarthost) && !given(g.smtp_smarthost)) return 'no global SMTP smarthost set';
      if (!given(n.from) && !given(g.smtp_from)) return 'no global SMTP from set';
      return null;
    },
  },
  pagerduty_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'service_key',
      'service_key_file',
      'routing_key',
      'routing_key_file',
      'url',
      'client',
      'client_url',
      'description',
      'details',
      'images',
      'links',
      'source',
      'severity',
      'class',
      'component',
      'group',
    ],
    check: (n) => {
      if (!given(n.routing_key) && !given(n.service_key) && !given(n.routing_key_file) && !given(n.service_key_file))
        return 'missing service or routing key in PagerDuty config';
      return oneOf(n, 'routing_key', 'routing_key_file') ?? oneOf(n, 'service_key', 'service_key_file');
    },
  },
  slack_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'api_url',
      'api_url_file',
      'channel',
      'username',
      'color',
      'title',
      'title_link',
      'pretext',
      'text',
      'fields',
      'short_fields',
      'footer',
      'fallback',
      'callback_id',
      'icon_emoji',
      'icon_url',
      'image_url',
      'thumb_url',
      'link_names',
      'mrkdwn_in',
      'actions',
    ],
    check: (n, g) => {
      const own = oneOf(n, 'api_url', 'api_url_file');
      if (own) return own;
      if (!given(n.api_url) && !given(n.api_url_file) && !given(g.slack_api_url) && !given(g.slack_api_url_file))
        return 'no global Slack API URL set either inline or in a file';
      if (Array.isArray(n.actions)) {
        for (const action of n.actions) {
          if (!isObject(action)) continue;
          if (!given(action.type)) return 'missing type in Slack action configuration';
          if (!given(action.text)) return 'missing text in Slack action configuration';
          if (!given(action.url) && !given(action.name)) return 'missing name or url in Slack action configuration';
        }
      }
      if (Array.isArray(n.fields)) {
        for (const field of n.fields)
          if (isObject(field) && (!given(field.title) || !given(field.value)))
            return !given(field.title) ? 'missing title in Slack field configuration' : 'missing value in Slack field configuration';
      }
      return null;
    },
  },
  opsgenie_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'api_key',
      'api_key_file',
      'api_url',
      'message',
      'description',
      'source',
      'details',
      'entity',
      'responders',
      'actions',
      'tags',
      'note',
      'priority',
      'update_alerts',
    ],
    check: (n, g) => {
      const own = oneOf(n, 'api_key', 'api_key_file');
      if (own) return own;
      if (Array.isArray(n.responders)) {
        for (const r of n.responders) {
          if (!isObject(r)) continue;
          if (!given(r.id) && !given(r.username) && !given(r.name))
            return `opsGenieConfig responder ${JSON.stringify(r)} has to have at least one of id, username or name specified`;
          const type = String(r.type ?? '');
          if (!/^(team|teams|user|escalation|schedule)$/.test(type) && !type.includes('{{'))
            return `opsGenieConfig responder ${JSON.stringify(r)} type does not match valid options team,teams,user,escalation,schedule`;
        }
      }
      if (!given(n.api_key) && !given(n.api_key_file) && !given(g.opsgenie_api_key) && !given(g.opsgenie_api_key_file))
        return 'no global OpsGenie API Key set either inline or in a file';
      return null;
    },
  },
  wechat_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'api_secret',
      'corp_id',
      'message',
      'message_type',
      'api_url',
      'to_user',
      'to_party',
      'to_tag',
      'agent_id',
    ],
    check: (n, g) => {
      if (given(n.message_type) && n.message_type !== 'text' && n.message_type !== 'markdown')
        return `weChat message type ${JSON.stringify(n.message_type)} does not match valid options text,markdown`;
      if (!given(n.api_secret) && !given(g.wechat_api_secret)) return 'no global Wechat ApiSecret set';
      if (!given(n.corp_id) && !given(g.wechat_api_corp_id)) return 'no global Wechat CorpID set';
      return null;
    },
  },
  victorops_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'api_key',
      'api_key_file',
      'api_url',
      'routing_key',
      'message_type',
      'state_message',
      'entity_display_name',
      'monitoring_tool',
      'custom_fields',
    ],
    check: (n, g) => {
      if (!given(n.routing_key)) return 'missing Routing key in VictorOps config';
      if (isObject(n.custom_fields)) {
        const reserved = [
          'routing_key',
          'message_type',
          'state_message',
          'entity_display_name',
          'monitoring_tool',
          'entity_id',
          'entity_state',
        ];
        for (const key of Object.keys(n.custom_fields))
          if (reserved.includes(key))
            return `victorOps config contains custom field ${key} which cannot be used as it conflicts with the fixed/static fields`;
      }
      const own = oneOf(n, 'api_key', 'api_key_file');
      if (own) return own;
      if (!given(n.api_key) && !given(n.api_key_file) && !given(g.victorops_api_key) && !given(g.victorops_api_key_file))
        return 'no global VictorOps API Key set';
      return null;
    },
  },
  pushover_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'user_key',
      'token',
      'title',
      'message',
      'url',
      'url_title',
      'sound',
      'priority',
      'retry',
      'expire',
      'html',
    ],
    check: (n) =>
      !given(n.user_key) ? 'missing user key in Pushover config' : !given(n.token) ? 'missing token in Pushover config' : null,
  },
  sns_configs: {
    keys: [
      'send_resolved',
      'http_config',
      'api_url',
      'sigv4',
      'topic_arn',
      'phone_number',
      'target_arn',
      'subject',
      'message',
      'attributes',
    ],
    check: (n) => {
      const targets = [n.target_arn, n.topic_arn, n.phone_number].filter(given).length;
      if (targets === 0) return 'must provide either a Target ARN, Topic ARN, or Phone Number for SNS config';
      if (targets > 1) return 'must provide only one of Target ARN, Topic ARN, or Phone Number for SNS config';
      return null;
    },
  },
  telegram_configs: {
    keys: ['send_resolved', 'http_config', 'api_url', 'bot_token', 'chat_id', 'message', 'disable_notifications', 'parse_mode'],
    check: (n) => {
      if (!given(n.bot_token)) return 'missing bot_token on telegram_config';
      if (!given(n.chat_id) || n.chat_id === 0) return 'missing chat_id on telegram_config';
      if (given(n.parse_mode) && !['MarkdownV2', 'Markdown', 'HTML'].includes(String(n.parse_mode)))
        return 'unknown parse_mode on telegram_config, must be Markdown, MarkdownV2, HTML or empty string';
      return null;
    },
  },
  webex_configs: {
    keys: ['send_resolved', 'http_config', 'api_url', 'message', 'room_id'],
    check: (n) => {
      if (!given(n.room_id)) return 'missing room_id on webex_config';
      if (!isObject(n.http_config) || !isObject(n.http_config.authorization)) return 'missing webex_configs.http_config.authorization';
      return null;
    },
  },
  discord_configs: {
    keys: ['send_resolved', 'http_config', 'webhook_url', 'title', 'message'],
    check: (n) => (given(n.webhook_url) ? null : 'no discord webhook URL provided'),
  },
  webhook_configs: {
    keys: ['send_resolved', 'url', 'http_config', 'max_alerts'],
    check: (n) => {
      if (!given(n.url)) return 'missing URL in webhook config';
      return unsupportedScheme(n.url);
    },
  },
};

/** `http_config` as Prometheus' common HTTP client reads it: its fields, one kind of credentials, TLS. */
export function checkHttpConfig(value: unknown, at: string, problem: Problem): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) return problem(at, 'expected a mapping');
  for (const key of Object.keys(value))
    if (!HTTP_KEYS.includes(key)) problem(`${at}.${key}`, `field ${key} not found in type config.plain`);
  const auths = ['basic_auth', 'authorization', 'oauth2'].filter((k) => value[k] !== undefined && value[k] !== null);
  if (auths.length > 1) problem(at, 'at most one of basic_auth, oauth2 & authorization must be configured');
  if (given(value.bearer_token) && given(value.bearer_token_file))
    problem(at, 'at most one of bearer_token & bearer_token_file must be configured');
  if ((given(value.bearer_token) || given(value.bearer_token_file)) && auths.length > 0)
    problem(at, 'at most one of basic_auth, oauth2, bearer_token & bearer_token_file must be configured');
  if (isObject(value.basic_auth)) {
    const b = value.basic_auth;
    if (given(b.password) && given(b.password_file))
      problem(`${at}.basic_auth`, 'at most one of basic_auth password & password_file must be configured');
  }
  if (isObject(value.authorization)) {
    const a = value.authorization;
    if (given(a.credentials) && given(a.credentials_file))
      problem(`${at}.authorization`, 'at most one of authorization credentials & credentials_file must be configured');
    if (String(a.type ?? '').toLowerCase() === 'basic')
      problem(`${at}.authorization`, 'authorization type cannot be set to "basic", use "basic_auth" instead');
  }
  // proxy_url is not judged: Go's URL parser takes nearly any text (even a bare word) at load time.
  if (value.tls_config !== undefined) checkTlsConfig(value.tls_config, `${at}.tls_config`, problem);
}

export function checkTlsConfig(value: unknown, at: string, problem: Problem): void {
  if (value === undefined || value === null) return;
  if (!isObject(value)) return problem(at, 'expected a mapping');
  for (const key of Object.keys(value)) if (!TLS_KEYS.includes(key)) problem(`${at}.${key}`, `field ${key} not found in type config.plain`);
  for (const [inline, file] of [
    ['ca', 'ca_file'],
    ['cert', 'cert_file'],
    ['key', 'key_file'],
  ]) {
    if (given(value[inline]) && given(value[file])) problem(at, `at most one of ${inline} and ${file} must be configured`);
  }
  if (given(value.min_version) && !/^TLS1[0-3]$/.test(String(value.min_version)))
    problem(`${at}.min_version`, `unknown TLS version: ${String(value.min_version)}`);
}

/** `global`: its fields, durations and URLs. */
export function checkGlobal(value: unknown, problem: Problem, parseDuration: (text: string) => number | null): Node {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) {
    problem('global', 'expected a mapping');
    return {};
  }
  for (const key of Object.keys(value))
    if (!GLOBAL_KEYS.includes(key)) problem(`global.${key}`, `field ${key} not found in type config.plain`);
  if (value.resolve_timeout !== undefined && parseDuration(String(value.resolve_timeout)) === null)
    problem('global.resolve_timeout', `not a valid duration string: "${String(value.resolve_timeout)}"`);
  checkHttpConfig(value.http_config, 'global.http_config', problem);
  for (const key of [
    'slack_api_url',
    'victorops_api_url',
    'pagerduty_url',
    'opsgenie_api_url',
    'wechat_api_url',
    'telegram_api_url',
    'webex_api_url',
  ]) {
    const refused = given(value[key]) ? unsupportedScheme(value[key]) : null;
    if (refused) problem(`global.${key}`, refused);
  }
  if (given(value.slack_api_url) && given(value.slack_api_url_file))
    problem('global', 'at most one of slack_api_url & slack_api_url_file must be configured');
  if (given(value.opsgenie_api_key) && given(value.opsgenie_api_key_file))
    problem('global', 'at most one of opsgenie_api_key & opsgenie_api_key_file must be configured');
  if (given(value.smtp_auth_password) && given(value.smtp_auth_password_file))
    problem('global', 'at most one of smtp_auth_password & smtp_auth_password_file must be configured');
  if (given(value.victorops_api_key) && given(value.victorops_api_key_file))
    problem('global', 'at most one of victorops_api_key & victorops_api_key_file must be configured');
  return value;
}

/** One notifier of a receiver: its fields, its own `http_config`, what it requires. */
export function checkNotifier(list: string, entry: unknown, at: string, global: Node, problem: Problem): void {
  const rule = NOTIFIERS[list];
  if (!isObject(entry)) return problem(at, 'expected a mapping');
  for (const key of Object.keys(entry))
    if (!rule.keys.includes(key)) problem(`${at}.${key}`, `field ${key} not found in type config.plain`);
  if (entry.http_config !== undefined) checkHttpConfig(entry.http_config, `${at}.http_config`, problem);
  if (entry.tls_config !== undefined) checkTlsConfig(entry.tls_config, `${at}.tls_config`, problem);
  const refused = rule.check(entry, global);
  if (refused) problem(at, refused);
}
