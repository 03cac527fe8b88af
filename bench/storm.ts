import { createHash } from 'node:crypto';

/**
 * A replayable alert storm as two Alertmanager replicas would deliver it: alerts of several
 * incidents, grouped by [alertname, cluster], notified after group_wait, updated every
 * group_interval while they change, repeated at repeat_interval, resolved; every notification
 * sent by both replicas. Times are simulated seconds; the bench compresses them.
 */

export interface StormAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  fingerprint: string;
  startsAt: number;
  /** Simulated second it resolves; null when it fires to the end. */
  endsAt: number | null;
  /** The problem it belongs to (ground truth for the bench). */
  incident: string;
}

export interface StormNotification {
  /** Simulated second of the send. */
  at: number;
  replica: 0 | 1;
  groupKey: string;
  groupLabels: Record<string, string>;
  alerts: Array<StormAlert & { status: 'firing' | 'resolved' }>;
}

export interface AlertmanagerTiming {
  groupWait: number;
  groupInterval: number;
  repeatInterval: number;
  /** The second replica's copy follows the first by this much. */
  replicaLag: number;
}

/** Like Alertmanager's: 16 hex digits from the label set, so a flapping alert keeps its fingerprint. */
const fingerprintOf = (labels: Record<string, string>) =>
  createHash('sha1')
    .update(
      Object.entries(labels)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, v]) => `${k}=${v}`)
        .join(','),
    )
    .digest('hex')
    .slice(0, 16);

function alert(incident: string, labels: Record<string, string>, startsAt: number, endsAt: number | null, summary: string): StormAlert {
  return { labels, annotations: { summary }, fingerprint: fingerprintOf(labels), startsAt, endsAt, incident };
}

/** The storm: a node failure fanning out, a slow database behind service alerts, a flapping disk, an isolated critical alert, a few unrelated ones. */
export function stormAlerts(): StormAlert[] {
  const alerts: StormAlert[] = [];
  const node = { cluster: 'prod-a', node: 'n7' };
  alerts.push(alert('node-n7', { alertname: 'NodeDown', severity: 'critical', ...node }, 0, 1200, 'node n7 is not answering'));
  alerts.push(alert('node-n7', { alertname: 'KubeletDown', severity: 'critical', ...node }, 15, 1200, 'kubelet on n7 down'));
  for (let i = 0; i < 6; i += 1)
    alerts.push(
      alert(
        'node-n7',
        { alertname: 'TargetDown', severity: 'warning', job: `exporter-${i}`, ...node },
        20 + i * 5,
        1210,
        `target exporter-${i} down`,
      ),
    );
  for (let i = 0; i < 10; i += 1) {
    alerts.push(
      alert(
        'node-n7',
        { alertname: 'KubePodNotReady', severity: 'warning', namespace: `team-${i % 3}`, pod: `api-${i}`, ...node },
        40 + i * 6,
        1260,
        `pod api-${i} not ready`,
      ),
    );
  }
  for (let i = 0; i < 6; i += 1) {
    alerts.push(
      alert(
        'node-n7',
        { alertname: 'KubeContainerWaiting', severity: 'warning', namespace: `team-${i % 3}`, pod: `worker-${i}`, ...node },
        90 + i * 10,
        1260,
        `container of worker-${i} waiting`,
      ),
    );
  }
  const db = { cluster: 'prod-b', namespace: 'payments' };
  for (let i = 0; i < 5; i += 1)
    alerts.push(
      alert(
        'db-payments',
        { alertname: 'HighLatency', severity: 'warning', service: `svc-${i}`, ...db },
        120 + i * 20,
        1500,
        `svc-${i} p99 above 2 s`,
      ),
    );
  for (let i = 0; i < 2; i += 1)
    alerts.push(
      alert(
        'db-payments',
        { alertname: 'HighErrorRate', severity: 'critical', service: `svc-${i}`, ...db },
        200 + i * 30,
        1500,
        `svc-${i} errors above 5 %`,
      ),
    );
  // A disk alert that fires for five minutes and rests for five, six times: each change lands on
  // one of Alertmanager's group_interval ticks, so every one is notified.
  for (let cycle = 0; cycle < 6; cycle += 1) {
    const start = 60 + cycle * 600;
    alerts.push(
      alert(
        'disk-n3',
        { alertname: 'NodeFilesystemAlmostFull', severity: 'warning', cluster: 'prod-a', node: 'n3', mountpoint: '/var' },
        start,
        start + 300,
        '/var 92 % full',
      ),
    );
  }
  alerts.push(
    alert(
      'cert-expiry',
      { alertname: 'CertificateExpiresSoon', severity: 'critical', cluster: 'prod-c', namespace: 'edge' },
      480,
      null,
      'certificate expires in 3 days',
    ),
  );
  alerts.push(alert('memory-n2', { alertname: 'HighMemory', severity: 'warning', cluster: 'prod-b', node: 'n2' }, 300, 900, 'memory 93 %'));
  alerts.push(
    alert(
      'queue-orders',
      { alertname: 'QueueBacklog', severity: 'warning', cluster: 'prod-b', namespace: 'orders' },
      700,
      1000,
      'backlog above 10k',
    ),
  );
  return alerts;
}

/** Alertmanager's notifications for `alerts` until `end` (both replicas), in time order. */
export function alertmanagerNotifications(alerts: StormAlert[], timing: AlertmanagerTiming, end: number): StormNotification[] {
  const groups = new Map<string, StormAlert[]>();
  for (const a of alerts) {
    const key = `{}:{alertname="${a.labels.alertname}",cluster="${a.labels.cluster}"}`;
    groups.set(key, [...(groups.get(key) ?? []), a]);
  }
  const out: StormNotification[] = [];
  for (const [groupKey, members] of groups) {
    const groupLabels = { alertname: members[0].labels.alertname, cluster: members[0].labels.cluster };
    const starts = [...new Set(members.map((a) => a.startsAt))].sort((a, b) => a - b);
    let t = starts[0] + timing.groupWait;
    let lastNotified = -Infinity;
    let lastState = '';
    while (t <= end) {
      const firing = members.filter((a) => a.startsAt <= t && (a.endsAt === null || a.endsAt > t));
      const resolved = members.filter((a) => a.endsAt !== null && a.endsAt <= t && a.endsAt > lastNotified && a.startsAt <= lastNotified);
      const state = [...firing.map((a) => `${a.fingerprint}@${a.startsAt}`), ...resolved.map((a) => `-${a.fingerprint}`)].join('|');
      if (firing.length === 0 && resolved.length === 0) {
        // Group over: a new group forms when its next alert starts.
        const next = starts.find((s) => s > t);
        if (next === undefined) break;
        t = next + timing.groupWait;
        lastState = '';
        continue;
      }
      if (state !== lastState || t - lastNotified >= timing.repeatInterval) {
        const sent = [
          ...firing.map((a) => ({ ...a, status: 'firing' as const })),
          ...resolved.map((a) => ({ ...a, status: 'resolved' as const })),
        ];
        for (const replica of [0, 1] as const)
          out.push({ at: t + replica * timing.replicaLag, replica, groupKey, groupLabels, alerts: sent });
        lastNotified = t;
        lastState = firing.length === 0 ? '' : state;
        if (firing.length === 0) {
          const next = starts.find((s) => s > t);
          if (next === undefined) break;
          t = Math.max(t + timing.groupInterval, next + timing.groupWait);
          continue;
        }
      }
      t += timing.groupInterval;
    }
  }
  return out.sort((a, b) => a.at - b.at);
}
