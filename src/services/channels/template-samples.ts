import type { AlertView, ChannelMessage } from './message';
import { testMessage } from './message';

const STORM_SIZE = 200;

function sampleAlert(i: number, status: AlertView['status']): AlertView {
  const pod = `api-${(i * 7919).toString(36)}-${i}`;
  return {
    status,
    labels: {
      alertname: i % 3 === 0 ? 'KubePodCrashLooping' : 'HighErrorRate',
      severity: i % 4 === 0 ? 'critical' : 'warning',
      cluster: 'prod-eu-1',
      namespace: `team-${i % 5}`,
      pod,
      container: 'api',
      instance: `10.0.${i % 256}.${(i * 13) % 256}:8080`,
      job: 'kubernetes-pods',
    },
    annotations: {
      summary: `Pod ${pod} is restarting (${i} times in 10 minutes)`,
      description: `The container api of pod ${pod} has restarted repeatedly. Last exit code 137 (OOMKilled). `.repeat(3),
      runbook_url: 'https://runbooks.example.com/kubernetes/KubePodCrashLooping',
    },
    startsAt: new Date(Date.UTC(2026, 0, 1, 12, 0, i % 60)).toISOString(),
    endsAt: status === 'resolved' ? new Date(Date.UTC(2026, 0, 1, 13, 0, 0)).toISOString() : undefined,
    generatorURL: `http://prometheus.example.com/graph?g0.expr=rate%28errors%5B5m%5D%29&i=${i}`,
    fingerprint: (0x1000000000000 + i).toString(16),
  };
}

function group(alerts: AlertView[], truncatedAlerts = 0): ChannelMessage {
  const status = alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved';
  return {
    kind: 'alerts',
    status,
    alerts,
    groupLabels: { alertname: alerts[0].labels.alertname },
    commonLabels: { alertname: alerts[0].labels.alertname, cluster: 'prod-eu-1' },
    commonAnnotations: {},
    externalURL: 'http://alertmanager.example.com',
    receiver: 'alertagent',
    groupKey: '{}/{severity="critical"}:{alertname="HighErrorRate"}',
    truncatedAlerts,
  };
}

/** What a channel's templates are tried on before they are saved: the shapes real traffic takes. */
export function sampleMessages(): Array<{ name: string; message: ChannelMessage }> {
  return [
    { name: 'three firing alerts', message: group([0, 1, 2].map((i) => sampleAlert(i, 'firing'))) },
    { name: 'resolved', message: group([sampleAlert(1, 'resolved')]) },
    {
      name: `a storm of ${STORM_SIZE} alerts`,
      message: group(
        Array.from({ length: STORM_SIZE }, (_, i) => sampleAlert(i, i % 5 === 0 ? 'resolved' : 'firing')),
        40,
      ),
    },
    {
      name: 'an incident update',
      message: {
        ...group([sampleAlert(3, 'firing'), sampleAlert(4, 'resolved')]),
        incident: {
          id: '0b7f6c1e-5d2a-4c1b-9a3e-6f8d2c4b1a90',
          title: 'KubePodCrashLooping (cluster=prod-eu-1, namespace=team-3)',
          notice: 'update',
          sequence: 1,
          openedAt: '2026-01-01T12:00:00.000Z',
          firing: 6,
          total: 7,
          added: 1,
          resolved: 1,
        },
      },
    },
    { name: 'a test message', message: testMessage('sample') },
  ];
}
