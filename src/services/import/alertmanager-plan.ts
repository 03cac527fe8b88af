import { DateTime } from 'luxon';
import { parse } from 'yaml';
import { BadUserInputError } from '../../errors';
import { checkAlertmanagerFile } from '../clusters/alertmanager-config';
import { isObject } from '../clusters/alertmanager-notifiers';
import { alertmanagerMatchers, translateRouteTree, uniqueName, type ImportedRoute, type ImportReportItem } from './alertmanager-routes';

type Node = Record<string, unknown>;
const text = (v: unknown) => (v === undefined || v === null ? '' : String(v));

/** A channel to create (or keep) for one notifier of a receiver. */
export interface PlannedChannel {
  name: string;
  /** Where its notifier is in alertmanager.yml. */
  source: string;
  receiver: string;
  type: 'webhook' | 'slack' | 'email' | 'pagerduty' | 'telegram';
  config: Record<string, unknown>;
}

export interface PlannedInhibitionRule {
  name: string;
  sourceMatchers: string[];
  targetMatchers: string[];
  equal: string[];
}

export interface PlannedMaintenanceWindow {
  name: string;
  matchers: string[];
  expression: string;
  startsAt: Date;
  durationSeconds: number;
  timeZone: string;
}

/** What importing an alertmanager.yml would create, and the report of every item. */
export interface ImportPlan {
  channels: PlannedChannel[];
  routes: ImportedRoute[];
  inhibitionRules: PlannedInhibitionRule[];
  maintenanceWindows: PlannedMaintenanceWindow[];
  report: ImportReportItem[];
}

/** Names AlertAgent gives what it imports; the same file gives the same names, so a second import changes nothing. */
const PREFIX = 'am:';
const nameOf = (...parts: string[]) => `${PREFIX}${parts.join('/')}`.replace(/[^\p{L}\p{N} ._@:()/-]/gu, '-').slice(0, 100);

const NOT_MAPPED: Record<string, string> = {
  wechat_configs:
    "Alertmanager's WeChat notifier uses the WeCom application API (corp_id, api_secret, agent_id); AlertAgent's WeCom channel posts to a group robot webhook: create a WeCom robot channel and add it to the route",
  opsgenie_configs: 'AlertAgent has no OpsGenie channel: keep this receiver on Alertmanager, or send to a webhook bridge',
  victorops_configs: 'AlertAgent has no VictorOps channel: keep this receiver on Alertmanager, or send to a webhook bridge',
  pushover_configs: 'AlertAgent has no Pushover channel: keep this receiver on Alertmanager, or send to a webhook bridge',
  sns_configs: 'AlertAgent has no Amazon SNS channel: keep this receiver on Alertmanager, or send to a webhook bridge',
  webex_configs: 'AlertAgent has no Webex channel: keep this receiver on Alertmanager, or send to a webhook bridge',
  discord_configs: 'AlertAgent has no Discord channel: keep this receiver on Alertmanager, or send to a webhook bridge',
};

/** The Authorization header an Alertmanager `http_config` sends, and what of it cannot be carried. */
function authorizationOf(httpConfig: unknown, changes: string[]): Record<string, string> {
  if (!isObject(httpConfig)) return {};
  const headers: Record<string, string> = {};
  if (isObject(httpConfig.authorization) && text(httpConfig.authorization.credentials)) {
    headers.Authorization = `${text(httpConfig.authorization.type) || 'Bearer'} ${text(httpConfig.authorization.credentials)}`;
  } else if (text(httpConfig.bearer_token)) {
    headers.Authorization = `Bearer ${text(httpConfig.bearer_token)}`;
  } else if (isObject(httpConfig.basic_auth) && text(httpConfig.basic_auth.username)) {
    headers.Authorization = `Basic ${Buffer.from(`${text(httpConfig.basic_auth.username)}:${text(httpConfig.basic_auth.password)}`).toString('base64')}`;
  }
  for (const key of Object.keys(httpConfig)) {
    if (['authorization', 'bearer_token', 'basic_auth', 'follow_redirects', 'enable_http2'].includes(key)) continue;
    changes.push(
      `http_config.${key} not carried (files on the Alertmanager host, proxies, OAuth 2 and TLS are set on the channel by hand)`,
    );
  }
  return headers;
}

interface ChannelOutcome {
  channel: PlannedChannel | null;
  status: ImportReportItem['status'];
  detail: string;
}

/** One notifier of a receiver as an AlertAgent channel, or why not. */
function channelOf(list: string, entry: Node, receiver: string, index: number, global: Node): ChannelOutcome {
  const changes: string[] = [];
  const name = nameOf(receiver, `${list.replace(/_configs$/, '')}${index}`);
  if (list === 'webhook_configs') {
    const headers = authorizationOf(entry.http_config, changes);
    if (entry.max_alerts !== undefined && Number(entry.max_alerts) > 0)
      changes.push(`max_alerts ${text(entry.max_alerts)} not carried: AlertAgent sends every alert of a group`);
    const config = { url: text(entry.url), bodyFormat: 'alertmanager', ...(Object.keys(headers).length ? { headers } : {}) };
    return outcome({ name, source: '', receiver, type: 'webhook', config }, 'webhook channel', changes);
  }
  if (list === 'slack_configs') {
    const url = text(entry.api_url) || text(global.slack_api_url);
    if (!url)
      return {
        channel: null,
        status: 'not mapped',
        detail: 'the Slack URL is in a file on the Alertmanager host (api_url_file): create the Slack channel with the webhook URL by hand',
      };
    for (const key of Object.keys(entry)) {
      if (['api_url', 'send_resolved', 'http_config'].includes(key)) continue;
      changes.push(`${key} not carried (an incoming webhook posts to its own channel; AlertAgent's Slack template is used)`);
    }
    return outcome({ name, source: '', receiver, type: 'slack', config: { webhookUrl: url } }, 'Slack channel', changes);
  }
  if (list === 'email_configs') {
    const smarthost = text(entry.smarthost) || text(global.smtp_smarthost);
    const [host, port] = [smarthost.replace(/:\d+$/, ''), Number(/:(\d+)$/.exec(smarthost)?.[1] ?? 25)];
    const requireTls = entry.require_tls ?? global.smtp_require_tls ?? true;
    const password = text(entry.auth_password) || text(global.smtp_auth_password);
    if (!password && (text(entry.auth_password_file) || text(global.smtp_auth_password_file)))
      changes.push('the SMTP password is in a file on the Alertmanager host: set it on the channel by hand');
    for (const key of ['headers', 'html', 'text', 'tls_config', 'hello', 'auth_secret', 'auth_identity'])
      if (entry[key] !== undefined) changes.push(`${key} not carried`);
    const username = text(entry.auth_username) || text(global.smtp_auth_username);
    const config: Record<string, unknown> = {
      host,
      port,
      security: port === 465 ? 'tls' : requireTls === false ? 'none' : 'starttls',
      from: text(entry.from) || text(global.smtp_from),
      to: text(entry.to)
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean),
      ...(username ? { username } : {}),
      ...(password ? { password } : {}),
    };
    return outcome({ name, source: '', receiver, type: 'email', config }, 'e-mail channel', changes);
  }
  if (list === 'pagerduty_configs') return pagerDutyChannel(entry, global, name, receiver);
  if (list === 'telegram_configs') return telegramChannel(entry, name, receiver);
  return { channel: null, status: 'not mapped', detail: NOT_MAPPED[list] ?? `${list} is not an Alertmanager 0.25 notifier` };
}

/** What a notifier sets that the channel does not carry, and the outcome with or without such changes. */
function outcome(channel: PlannedChannel, what: string, changes: string[]): ChannelOutcome {
  return {
    channel,
    status: changes.length ? 'mapped with changes' : 'mapped',
    detail: `${what} "${channel.name}"${changes.length ? `; ${changes.join('; ')}` : ''}`,
  };
}

/** Alertmanager's PagerDuty notifier: an Events API v2 routing key becomes a PagerDuty channel. */
function pagerDutyChannel(entry: Node, global: Node, name: string, receiver: string): ChannelOutcome {
  const routingKey = text(entry.routing_key);
  if (!routingKey) {
    const why = text(entry.service_key)
      ? 'it uses an Events API v1 service_key; AlertAgent sends Events API v2: add an Events API v2 integration to the PagerDuty service and create the channel with its routing key'
      : 'its routing key is in a file on the Alertmanager host (routing_key_file): create the PagerDuty channel with the key by hand';
    return { channel: null, status: 'not mapped', detail: why };
  }
  const changes: string[] = [];
  for (const key of Object.keys(entry)) {
    if (['routing_key', 'url', 'send_resolved', 'http_config'].includes(key)) continue;
    changes.push(`${key} not carried (AlertAgent's PagerDuty events: summary from its template, severity from the alert's severity label)`);
  }
  if (entry.send_resolved === false)
    changes.push('send_resolved false not carried: AlertAgent resolves the PagerDuty incident when the alert resolves');
  authorizationOf(entry.http_config, changes);
  const apiUrl = text(entry.url) || text(global.pagerduty_url);
  const config = { routingKey, ...(apiUrl && !apiUrl.includes('events.pagerduty.com/generic/') ? { apiUrl } : {}) };
  return outcome({ name, source: '', receiver, type: 'pagerduty', config }, 'PagerDuty channel', changes);
}

/** Alertmanager's Telegram notifier: a bot token and a chat become a Telegram channel. */
function telegramChannel(entry: Node, name: string, receiver: string): ChannelOutcome {
  const botToken = text(entry.bot_token);
  if (!botToken)
    return {
      channel: null,
      status: 'not mapped',
      detail: `the bot token is in a file on the Alertmanager host (bot_token_file): create the Telegram channel by hand`,
    };
  const changes: string[] = [];
  for (const key of Object.keys(entry)) {
    if (['bot_token', 'chat_id', 'api_url', 'parse_mode', 'disable_notifications', 'send_resolved', 'http_config'].includes(key)) continue;
    changes.push(`${key} not carried (AlertAgent's Telegram template is used)`);
  }
  const parseMode = text(entry.parse_mode) || 'HTML';
  if (parseMode !== 'HTML') changes.push(`parse_mode ${parseMode} not carried: AlertAgent's Telegram template is HTML`);
  authorizationOf(entry.http_config, changes);
  const config = {
    botToken,
    chatId: text(entry.chat_id),
    ...(text(entry.api_url) ? { apiUrl: text(entry.api_url) } : {}),
    ...(entry.disable_notifications === true ? { disableNotification: true } : {}),
  };
  return outcome({ name, source: '', receiver, type: 'telegram', config }, 'Telegram channel', changes);
}

const WEEKDAYS = ['sunday', 'monday', 'tuesday', 'wednesday', 'thursday', 'friday', 'saturday'];
const RRULE_DAYS = ['SU', 'MO', 'TU', 'WE', 'TH', 'FR', 'SA'];

/** Expands `monday:friday` style ranges of names or numbers. */
function expand(ranges: unknown[], toNumber: (s: string) => number): number[] | null {
  const out: number[] = [];
  for (const range of ranges) {
    const [from, to = from] = String(range)
      .split(':')
      .map((s) => toNumber(s.trim().toLowerCase()));
    if (!Number.isInteger(from) || !Number.isInteger(to)) return null;
    if (from <= to) for (let n = from; n <= to; n += 1) out.push(n);
    else out.push(from, to);
  }
  return out;
}

/**
 * An Alertmanager time interval entry as a recurring maintenance window: weekdays, days of the
 * month and months become an RRULE, the time range its start and duration. What a window cannot
 * say (several time ranges in one entry, years, days of the month as ranges across month ends)
 * is reported instead.
 */
function windowOf(entry: Node): { rule: string; start: string; durationSeconds: number; timeZone: string } | string {
  if (entry.years !== undefined) return 'years are not carried: a maintenance window recurs without end';
  const times = Array.isArray(entry.times) ? entry.times.filter(isObject) : [];
  if (times.length > 1) return 'several time ranges in one entry: import each as its own window';
  const minutes = (t: unknown) => {
    const m = /^(\d{1,2}):(\d{2})$/.exec(String(t ?? ''));
    return m ? Number(m[1]) * 60 + Number(m[2]) : NaN;
  };
  const [startMin, endMin] = times.length ? [minutes(times[0].start_time), minutes(times[0].end_time)] : [0, 24 * 60];
  if (Number.isNaN(startMin) || Number.isNaN(endMin) || endMin <= startMin)
    return 'a time range that does not read as HH:MM to a later HH:MM';
  const parts: string[] = [];
  if (Array.isArray(entry.weekdays)) {
    const days = expand(entry.weekdays, (s) => WEEKDAYS.indexOf(s));
    if (!days || days.some((d) => d < 0)) return 'weekdays that do not read as day names';
    parts.push(`BYDAY=${days.map((d) => RRULE_DAYS[d]).join(',')}`);
  }
  if (Array.isArray(entry.days_of_month)) {
    const days = expand(entry.days_of_month, Number);
    if (!days) return 'days of the month that do not read as numbers';
    parts.push(`BYMONTHDAY=${days.join(',')}`);
  }
  if (Array.isArray(entry.months)) {
    const names = [
      'january',
      'february',
      'march',
      'april',
      'may',
      'june',
      'july',
      'august',
      'september',
      'october',
      'november',
      'december',
    ];
    const months = expand(entry.months, (s) => (/^\d+$/.test(s) ? Number(s) : names.indexOf(s) + 1));
    if (!months || months.some((m) => m < 1 || m > 12)) return 'months that do not read as month names or numbers';
    parts.push(`BYMONTH=${months.join(',')}`);
  }
  const hh = String(Math.floor(startMin / 60)).padStart(2, '0');
  const mm = String(startMin % 60).padStart(2, '0');
  return {
    rule: ['FREQ=DAILY', ...parts].join(';'),
    start: `${hh}:${mm}`,
    durationSeconds: (endMin - startMin) * 60,
    timeZone: text(entry.location) || 'UTC',
  };
}

/**
 * Plans the import of an alertmanager.yml: receivers become channels (webhook, Slack, e-mail;
 * the others are reported as not mapped, with the reason), the route tree becomes routes with the
 * same routing, inhibit rules become inhibition rules, and time intervals that routes mute with
 * become maintenance windows scoped by those routes' matchers. Refuses, with every reason, a
 * file Alertmanager itself would refuse.
 */
export function planAlertmanagerImport(yaml: string): ImportPlan {
  const problems = checkAlertmanagerFile(yaml);
  if (problems.length > 0)
    throw new BadUserInputError(
      `Alertmanager would refuse this file: ${problems
        .slice(0, 10)
        .map((p) => `${p.field}: ${p.message}`)
        .join('; ')}`,
      problems.map((p) => ({ ...p, field: `yaml.${p.field}` })),
    );
  const config = (parse(yaml) ?? {}) as Node;
  const global = isObject(config.global) ? config.global : {};
  const report: ImportReportItem[] = [];
  const channels: PlannedChannel[] = [];
  const channelNames = new Set<string>();

  for (const [i, receiver] of (Array.isArray(config.receivers) ? config.receivers : []).entries()) {
    if (!isObject(receiver)) continue;
    const receiverName = text(receiver.name);
    let notifiers = 0;
    for (const [list, entries] of Object.entries(receiver)) {
      if (list === 'name' || !Array.isArray(entries)) continue;
      entries.forEach((entry, j) => {
        notifiers += 1;
        const outcome = channelOf(list, isObject(entry) ? entry : {}, receiverName, j, global);
        if (outcome.channel)
          channels.push({
            ...outcome.channel,
            name: uniqueName(outcome.channel.name, channelNames),
            source: `receivers.${i}.${list}.${j}`,
          });
        report.push({
          source: `receivers.${i}.${list}.${j}`,
          status: outcome.status,
          detail: `receiver ${receiverName}: ${outcome.detail}`,
        });
      });
    }
    if (notifiers === 0)
      report.push({
        source: `receivers.${i}`,
        status: 'mapped',
        detail: `receiver ${receiverName} notifies nobody: its routes get no channel, as in Alertmanager`,
      });
  }

  const { routes, report: routeReport } = isObject(config.route) ? translateRouteTree(config.route, PREFIX) : { routes: [], report: [] };
  const channelsOf = (receiver: string) => channels.filter((c) => c.receiver === receiver);
  for (const item of routeReport) {
    const route = routes.find((r) => r.source === item.source);
    const receiver = (Array.isArray(config.receivers) ? config.receivers : []).find((r) => isObject(r) && r.name === route?.receiver) as
      | Node
      | undefined;
    const notifies = receiver && Object.entries(receiver).some(([k, v]) => k !== 'name' && Array.isArray(v) && v.length > 0);
    if (route && notifies && channelsOf(route.receiver).length === 0) {
      report.push({
        ...item,
        status: 'mapped with changes',
        detail: `${item.detail}; receiver ${route.receiver} has no channel AlertAgent could make, so this route sends nowhere`,
      });
    } else report.push(item);
  }

  const inhibitionRules: PlannedInhibitionRule[] = (Array.isArray(config.inhibit_rules) ? config.inhibit_rules : [])
    .filter(isObject)
    .map((rule, i) => {
      const planned = {
        name: nameOf('inhibit', String(i)),
        sourceMatchers: alertmanagerMatchers(rule, 'source_'),
        targetMatchers: alertmanagerMatchers(rule, 'target_'),
        equal: Array.isArray(rule.equal) ? rule.equal.map(String) : [],
      };
      report.push({
        source: `inhibit_rules.${i}`,
        status: 'mapped',
        detail: `inhibition rule "${planned.name}" (flag gateway.inhibition)`,
      });
      return planned;
    });

  const intervals = new Map<string, Node[]>();
  for (const key of ['time_intervals', 'mute_time_intervals']) {
    for (const entry of Array.isArray(config[key]) ? config[key] : [])
      if (isObject(entry))
        intervals.set(text(entry.name), Array.isArray(entry.time_intervals) ? entry.time_intervals.filter(isObject) : []);
  }
  const maintenanceWindows: PlannedMaintenanceWindow[] = [];
  const muting = new Map<string, ImportedRoute[]>();
  const walk = (node: Node, source: string) => {
    const route = routes.find((r) => r.source === source);
    for (const name of Array.isArray(node.mute_time_intervals) ? node.mute_time_intervals : [])
      if (route) muting.set(String(name), [...(muting.get(String(name)) ?? []), route]);
    if (Array.isArray(node.active_time_intervals) && node.active_time_intervals.length > 0) {
      report.push({
        source: `${source}.active_time_intervals`,
        status: 'not mapped',
        detail:
          'AlertAgent maintenance windows say when not to notify; an active interval is the opposite: the route notifies at all times',
      });
    }
    (Array.isArray(node.routes) ? node.routes : []).forEach((child, i) => isObject(child) && walk(child, `${source}.routes.${i}`));
  };
  if (isObject(config.route)) walk(config.route, 'route');
  for (const [name, entries] of intervals) {
    const users = muting.get(name) ?? [];
    if (users.length === 0) {
      report.push({
        source: `time interval ${name}`,
        status: 'not mapped',
        detail: 'no route mutes with it (active intervals are not carried)',
      });
      continue;
    }
    entries.forEach((entry, e) => {
      const window = windowOf(entry);
      if (typeof window === 'string') {
        report.push({ source: `time interval ${name}, entry ${e}`, status: 'not mapped', detail: window });
        return;
      }
      for (const route of users) {
        const planned: PlannedMaintenanceWindow = {
          name: nameOf('mute', name, String(e), route.source.replace(/^route\.?/, '').replace(/routes\./g, '') || 'root'),
          matchers: route.matchers,
          expression: window.rule,
          // The first occurrence's start, read in the interval's own time zone.
          startsAt: DateTime.fromISO(`2026-01-01T${window.start}:00`, { zone: window.timeZone }).toJSDate(),
          durationSeconds: window.durationSeconds,
          timeZone: window.timeZone,
        };
        maintenanceWindows.push(planned);
        report.push({
          source: `time interval ${name}, entry ${e}`,
          status: 'mapped with changes',
          detail: `maintenance window "${planned.name}" (flag gateway.maintenance), RRULE ${window.rule} from ${window.start} for ${window.durationSeconds / 60} min in ${window.timeZone}, scoped by the matchers of route ${route.name}: alerts it covers are held whichever route they take`,
        });
      }
    });
  }
  return { channels, routes, inhibitionRules, maintenanceWindows, report };
}
