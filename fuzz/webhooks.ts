import { anyValue, deepJson, hostileString, type Random } from './random';

/** One request to the webhook: its body (text or raw bytes), headers, and what it is meant to try. */
export interface WebhookCase {
  kind: string;
  body: string | Buffer;
  headers: Record<string, string>;
  /** The per-cluster endpoint, when set. */
  cluster?: string;
}

const ALERTNAMES = [
  'KubePodCrashLooping',
  'NodeFilesystemSpaceFillingUp',
  'HighErrorRate',
  'TargetDown',
  'Watchdog',
  'CPUThrottlingHigh',
  'etcdMembersDown',
];
const SEVERITIES = ['critical', 'warning', 'info', 'none', 'page', 'P1'];

/** A timestamp as Go's RFC 3339 writer produces them: nanoseconds, offsets, now and then the zero time. */
function timestamp(random: Random): string {
  const base = Date.UTC(2026, random.int(0, 11), random.int(1, 28), random.int(0, 23), random.int(0, 59), random.int(0, 59));
  const iso = new Date(base).toISOString().replace('.000Z', '');
  return random.pick([`${iso}Z`, `${iso}.${random.int(0, 999_999_999)}Z`, `${iso}+08:00`, `${iso}.123-05:30`]);
}

/** An alert as Alertmanager 0.25–0.28 writes it. */
function alert(random: Random, i: number): Record<string, unknown> {
  const firing = random.chance(0.8);
  const labels: Record<string, string> = {
    alertname: random.pick(ALERTNAMES),
    severity: random.pick(SEVERITIES),
    namespace: `team-${random.int(1, 9)}`,
    pod: `api-${random.hex(5)}-${random.hex(4)}`,
    instance: `10.${random.int(0, 255)}.${random.int(0, 255)}.${random.int(0, 255)}:9100`,
    job: random.pick(['node-exporter', 'kube-state-metrics', 'blackbox']),
  };
  if (random.chance(0.5)) labels.cluster = random.pick(['prod-eu', 'prod-us', 'staging']);
  return {
    status: firing ? 'firing' : 'resolved',
    labels,
    annotations: { summary: random.text(8), description: random.text(40), runbook_url: `https://runbooks.example.com/${labels.alertname}` },
    startsAt: timestamp(random),
    endsAt: firing ? '0001-01-01T00:00:00Z' : timestamp(random),
    generatorURL: `http://prometheus:9090/graph?g0.expr=up%3D%3D0&g0.tab=1&i=${i}`,
    fingerprint: random.hex(16),
    ...(random.chance(0.2) ? { notification_reason: 'new_alert' } : {}),
  };
}

function payload(random: Random): Record<string, any> {
  const alerts = Array.from({ length: random.chance(0.9) ? random.int(1, 8) : random.int(9, 120) }, (_, i) => alert(random, i));
  const first = alerts[0] as { labels: Record<string, string> };
  return {
    version: '4',
    groupKey: `{}/{severity="critical"}:{alertname="${first.labels.alertname}"}`,
    truncatedAlerts: 0,
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    receiver: random.pick(['alertagent', 'team-pager', 'default']),
    groupLabels: { alertname: first.labels.alertname },
    commonLabels: { alertname: first.labels.alertname },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
    ...(random.chance(0.1) ? { routeLabels: { team: 'db' } } : {}),
  };
}

type Mutation = (p: Record<string, any>, random: Random) => void;

/** One of the payload's alerts to mutate; a stand-in when an earlier mutation took the alerts away. */
function alertOf(p: Record<string, any>, random: Random): Record<string, any> {
  const alerts = Array.isArray(p.alerts) ? p.alerts.filter((a: unknown) => a !== null && typeof a === 'object' && !Array.isArray(a)) : [];
  const chosen = alerts.length > 0 ? alerts[random.int(0, alerts.length - 1)] : {};
  if (chosen.labels === null || typeof chosen.labels !== 'object') chosen.labels = {};
  if (chosen.annotations === null || typeof chosen.annotations !== 'object') chosen.annotations = {};
  return chosen;
}

/** Ways a payload goes wrong in the wild or in an attacker's hands; each case applies one to three. */
const MUTATIONS: Record<string, Mutation> = {
  'top field any value': (p, r) =>
    void (p[
      r.pick(['version', 'groupKey', 'truncatedAlerts', 'status', 'receiver', 'groupLabels', 'commonLabels', 'externalURL', 'alerts'])
    ] = anyValue(r)),
  'top field missing': (p, r) =>
    void delete p[r.pick(['version', 'groupKey', 'status', 'receiver', 'alerts', 'truncatedAlerts', 'externalURL'])],
  'alert field any value': (p, r) =>
    void (alertOf(p, r)[r.pick(['status', 'labels', 'annotations', 'startsAt', 'endsAt', 'generatorURL', 'fingerprint'])] = anyValue(r)),
  'label value hostile': (p, r) => void (alertOf(p, r).labels[r.pick(['alertname', 'severity', 'cluster', 'pod', 'x'])] = hostileString(r)),
  'label name hostile': (p, r) => void (alertOf(p, r).labels[hostileString(r).slice(0, 300)] = 'v'),
  'label value not a string': (p, r) => void (alertOf(p, r).labels.severity = anyValue(r)),
  'annotation hostile': (p, r) => void (alertOf(p, r).annotations.description = hostileString(r)),
  'date edge': (p, r) =>
    void (alertOf(p, r)[r.pick(['startsAt', 'endsAt'])] = r.pick([
      '0000-01-01T00:00:00Z',
      '0001-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999999999Z',
      '-000001-01-01T00:00:00Z',
      '+275760-09-13T00:00:00Z',
      '2026-02-30T00:00:00Z',
      '2026-13-01T00:00:00Z',
      '2026-01-01T24:00:00Z',
      '2026-01-01',
      'now',
      '',
      '1700000000',
    ])),
  'fingerprint long': (p, r) => void (alertOf(p, r).fingerprint = 'f'.repeat(r.pick([64, 65, 100, 10_000]))),
  'receiver long': (p, r) => void (p.receiver = 'r'.repeat(r.int(200, 50_000))),
  'group key hostile': (p, r) => void (p.groupKey = hostileString(r)),
  'truncated count edge': (p, r) => void (p.truncatedAlerts = r.pick([2 ** 31, 2 ** 53 + 1, -1, 1.5, '5', 1e300])),
  'deep unknown field': (p, r) => void (alertOf(p, r).extra = JSON.parse(deepJson(r.int(20, 60), r.pick(['object', 'array'])))),
  'huge unknown field': (p, r) => void (alertOf(p, r).blob = 'x'.repeat(r.int(20_000, 300_000))),
  'many labels': (p, r) =>
    void Object.assign(alertOf(p, r).labels, Object.fromEntries(Array.from({ length: r.int(100, 2_000) }, (_, i) => [`l${i}`, `v${i}`]))),
  'prototype keys': (p, r) =>
    void Object.assign(alertOf(p, r).labels, JSON.parse('{"__proto__": "x", "constructor": "y", "toString": "z"}')),
  'no alerts': (p) => void (p.alerts = []),
  'too many alerts': (p, r) => void (p.alerts = Array.from({ length: 5_001 }, (_, i) => alert(r, i))),
  'duplicate alerts': (p) => void (Array.isArray(p.alerts) && p.alerts.length < 1_000 && p.alerts.push(...p.alerts)),
  'old version': (p, r) => void (p.version = r.pick(['3', 4, '4.0', ''])),
  'status unknown': (p, r) => void (alertOf(p, r).status = r.pick(['FIRING', 'pending', 'inactive', ''])),
};

/** What is wrong with the request itself, before any payload: encodings, sizes, credentials. */
const RAW: Array<(random: Random, valid: string, token: string) => WebhookCase> = [
  (_r, valid, token) => ({ kind: 'truncated JSON', body: valid.slice(0, Math.floor(valid.length / 2)), headers: json(token) }),
  (_r, valid, token) => ({ kind: 'trailing garbage', body: `${valid}}}}`, headers: json(token) }),
  (_r, valid, token) => ({ kind: 'byte order mark', body: `\ufeff${valid}`, headers: json(token) }),
  (_r, valid, token) => ({
    kind: 'invalid UTF-8',
    body: Buffer.concat([Buffer.from(valid.slice(0, -2)), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('}]}')]),
    headers: json(token),
  }),
  (r, _v, token) => ({ kind: 'not an object', body: r.pick(['null', '[]', '"string"', '42', 'true', '']), headers: json(token) }),
  (r, _v, token) => ({ kind: 'deep body', body: deepJson(r.int(1_000, 100_000), 'array'), headers: json(token) }),
  (r, _v, token) => ({
    kind: 'over the size limit',
    body: `{"version":"4","pad":"${'x'.repeat(5 * 1024 * 1024 + r.int(1, 1000))}"}`,
    headers: json(token),
  }),
  (_r, valid, token) => ({ kind: 'compressed', body: valid, headers: { ...json(token), 'content-encoding': 'gzip' } }),
  (_r, valid, token) => ({
    kind: 'latin-1',
    body: valid,
    headers: { ...json(token), 'content-type': 'application/json; charset=iso-8859-1' },
  }),
  (_r, valid, token) => ({ kind: 'text/plain', body: valid, headers: { 'content-type': 'text/plain', authorization: `Bearer ${token}` } }),
  (_r, valid) => ({ kind: 'no credentials', body: valid, headers: { 'content-type': 'application/json' } }),
  (r, valid) => ({
    kind: 'bad credentials',
    body: valid,
    headers: {
      'content-type': 'application/json',
      authorization: r.pick([
        'Bearer aat_forged',
        'Basic !!!',
        `Basic ${Buffer.from('am:').toString('base64')}`,
        'Bearer ',
        'Token x',
        `Bearer ${'a'.repeat(10_000)}`,
      ]),
    },
  }),
  (r, valid, token) => ({
    kind: 'basic auth',
    body: valid,
    headers: {
      'content-type': 'application/json',
      authorization: `Basic ${Buffer.from(`${r.pick(['am', '', 'prod'])}:${token}`).toString('base64')}`,
    },
  }),
  (r, valid, token) => ({
    kind: 'unknown cluster endpoint',
    body: valid,
    headers: json(token),
    cluster: r.pick(['nope', 'a/b', '..', '%00', 'x'.repeat(300), 'prod eu']),
  }),
];

function json(token: string): Record<string, string> {
  return { 'content-type': 'application/json', authorization: `Bearer ${token}` };
}

/** The next webhook request: mostly realistic payloads, a third with one to three mutations, a tenth broken below the payload. */
export function webhookCase(random: Random, token: string): WebhookCase {
  const p = payload(random);
  const roll = random.next();
  if (roll < 0.1) return RAW[random.int(0, RAW.length - 1)](random, JSON.stringify(p), token);
  if (roll < 0.55) return { kind: 'realistic', body: JSON.stringify(p), headers: json(token) };
  const names = Object.keys(MUTATIONS);
  const applied = Array.from({ length: random.int(1, 3) }, () => random.pick(names));
  for (const name of applied) MUTATIONS[name](p, random);
  let body: string;
  try {
    body = JSON.stringify(p) ?? 'null';
  } catch {
    // Mutations piled up past what a string can hold: a body that size is refused long before parsing anyway.
    body = '{"version":"4"}';
  }
  return { kind: applied[0], body, headers: json(token) };
}
