import type { AlertView, ChannelMessage } from '../../src/services/channels/message';

export function alert(overrides: Partial<AlertView> & { labels?: Record<string, string> } = {}): AlertView {
  return {
    status: 'firing',
    labels: { alertname: 'HighLatency', severity: 'critical', service: 'checkout', ...overrides.labels },
    annotations: { summary: 'p99 latency above 2s', description: 'checkout p99 is 2.4s for 10m', ...overrides.annotations },
    startsAt: '2026-11-25T10:00:00Z',
    generatorURL: 'http://prometheus:9090/graph?g0.expr=latency',
    fingerprint: 'a1b2c3d4e5f6a7b8',
    ...overrides,
    ...(overrides.labels ? { labels: { alertname: 'HighLatency', ...overrides.labels } } : {}),
  };
}

export function alertGroup(alerts: AlertView[], status: 'firing' | 'resolved' = 'firing'): ChannelMessage {
  return {
    kind: 'alerts',
    status,
    alerts,
    groupLabels: { alertname: alerts[0]?.labels.alertname ?? 'x' },
    commonLabels: { alertname: alerts[0]?.labels.alertname ?? 'x', severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    receiver: 'alertagent',
    groupKey: '{}:{alertname="HighLatency"}',
  };
}

/** A webhook body exactly as Alertmanager 0.25 sends it. */
export function validPayload(): Record<string, any> {
  return {
    version: '4',
    groupKey: '{}:{alertname="DiskFull"}',
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alertagent',
    groupLabels: { alertname: 'DiskFull' },
    commonLabels: { alertname: 'DiskFull', severity: 'critical' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts: [
      {
        status: 'firing',
        labels: { alertname: 'DiskFull', severity: 'critical', instance: 'db-1' },
        annotations: { summary: 'disk 95% full' },
        startsAt: '2026-11-25T10:00:00.123Z',
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus:9090/graph',
        fingerprint: '1a2b3c4d5e6f7a8b',
      },
    ],
  };
}

let sequence = 0;
/** A webhook of `count` new alerts (fresh fingerprints, its own group), as Alertmanager sends it. */
export function stormPayload(alertname: string, count: number, labels: Record<string, string> = {}): Record<string, unknown> {
  const batch = ++sequence;
  const alerts = Array.from({ length: count }, (_, i) => ({
    status: 'firing',
    labels: { alertname, severity: i % 3 === 0 ? 'critical' : 'warning', instance: `node-${batch}-${i}`, team: 'infra', ...labels },
    annotations: { summary: `${alertname} on node-${batch}-${i}` },
    startsAt: new Date().toISOString(),
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: 'http://prometheus:9090/graph',
    fingerprint: (batch * 100_000 + i).toString(16).padStart(16, '0'),
  }));
  return {
    version: '4',
    groupKey: `{}:{alertname="${alertname}",batch="${batch}"}`,
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'alertagent',
    groupLabels: { alertname },
    commonLabels: { alertname },
    commonAnnotations: {},
    externalURL: 'http://alertmanager:9093',
    alerts,
  };
}
