import { CHANNEL_PLUGINS } from '../../../src/services/channels/registry';
import { renderDefaultTemplates } from '../../../src/services/channels/template-engine';
import { sampleMessages } from '../../../src/services/channels/template-samples';
import { incidentNotification, resolutionHeldUntil } from '../../../src/services/incidents/incident-notifier';
import type { IncidentAlertRow, IncidentRow } from '../../../src/services/incidents/incident.repository';

const opened = new Date('2026-12-01T10:00:00Z');

function incident(overrides: Partial<IncidentRow> = {}): IncidentRow {
  return {
    id: 'i-1',
    correlationKey: 'k',
    reopenGraceSeconds: 600,
    resolveHoldSeconds: 0,
    policyId: 'p',
    policyName: 'node',
    labels: { cluster: 'prod', node: 'n1' },
    title: 'NodeDown (cluster=prod, node=n1)',
    state: 'updated',
    receiver: 'team-a',
    channelIds: ['c1'],
    windowSeconds: 3600,
    updateIntervalSeconds: 300,
    openedAt: opened,
    lastAlertAt: new Date(opened.getTime() + 60_000),
    updatedAt: opened,
    resolvedAt: null,
    updatePendingSince: opened,
    lastNotifiedAt: null,
    acknowledgedAt: null,
    acknowledgedBy: null,
    notificationCount: 0,
    alertCount: 0,
    firingCount: 0,
    ...overrides,
  };
}

function alert(name: string, status: 'firing' | 'resolved', notifiedStatus: string | null): IncidentAlertRow {
  return {
    fingerprint: name,
    alertname: name,
    labels: { alertname: name, cluster: 'prod', node: 'n1' },
    annotations: {},
    status,
    startsAt: opened,
    firstSeenAt: opened,
    lastSeenAt: opened,
    resolvedAt: status === 'resolved' ? opened : null,
    notified: notifiedStatus !== null,
    notifiedStatus,
  };
}

const soon = new Date(opened.getTime() + 120_000);

describe('incident notifications', () => {
  it('an update tells only what changed since the last notification, with counts', () => {
    const n = incidentNotification(
      incident(),
      [alert('NodeDown', 'firing', 'firing'), alert('KubeletDown', 'firing', null), alert('PodNotReady', 'resolved', 'firing')],
      soon,
    )!;
    expect(n.kind).toBe('update');
    expect(n.message.alerts.map((a) => a.labels.alertname)).toEqual(['KubeletDown', 'PodNotReady']);
    expect(n.message.incident).toMatchObject({ notice: 'update', sequence: 1, added: 1, resolved: 1, firing: 2, total: 3 });
    expect(n.message.groupKey).toContain('i-1');
    expect(n.message.receiver).toBe('team-a');
  });

  it('nothing new, nothing to send; some alerts resolving while others fire waits for the next update or the resolution', () => {
    expect(incidentNotification(incident(), [alert('NodeDown', 'firing', 'firing')], soon)).toBeNull();
    expect(
      incidentNotification(incident(), [alert('NodeDown', 'firing', 'firing'), alert('KubeletDown', 'resolved', 'firing')], soon),
    ).toBeNull();
  });

  it('the resolution once every alert has resolved', () => {
    const n = incidentNotification(
      incident({ notificationCount: 1 }),
      [alert('NodeDown', 'resolved', 'firing'), alert('KubeletDown', 'resolved', 'resolved')],
      soon,
    )!;
    expect(n.kind).toBe('resolved');
    expect(n.message.status).toBe('resolved');
    expect(n.message.incident).toMatchObject({ notice: 'resolved', sequence: 2, resolved: 1, firing: 0, total: 2 });
  });

  it('a resolve hold waits from the last resolution while nothing fires; no hold, or anything firing, waits for nothing', () => {
    const at = (minute: number) => opened.getTime() + minute * 60_000;
    const resolved = [
      { status: 'resolved', resolvedAt: at(2) },
      { status: 'resolved', resolvedAt: at(5) },
    ];
    expect(resolutionHeldUntil(600, resolved, at(6))).toBe(at(15));
    expect(resolutionHeldUntil(600, resolved, at(15))).toBeNull();
    expect(resolutionHeldUntil(0, resolved, at(6))).toBeNull();
    expect(resolutionHeldUntil(600, [...resolved, { status: 'firing', resolvedAt: null }], at(6))).toBeNull();
    expect(resolutionHeldUntil(600, [], at(6))).toBeNull();
  });

  it('no resolution when everything was already told resolved (fired again and resolved within one interval, as Alertmanager)', () => {
    expect(incidentNotification(incident(), [alert('DiskFull', 'resolved', 'resolved')], soon)).toBeNull();
    expect(
      incidentNotification(incident(), [alert('DiskFull', 'resolved', 'resolved'), alert('DiskSlow', 'resolved', 'firing')], soon),
    ).toMatchObject({
      kind: 'resolved',
      resolved: 1,
    });
  });

  it('an incident quiet past its window closes with a resolution that says so', () => {
    const late = new Date(opened.getTime() + 2 * 3600_000);
    const n = incidentNotification(incident(), [alert('NodeDown', 'firing', 'firing')], late)!;
    expect(n.kind).toBe('resolved');
    expect(n.message.alerts.map((a) => a.labels.alertname)).toEqual(['NodeDown']);
    expect(n.message.commonAnnotations.alertagent_incident_closed).toBe('no alert activity for 60 min');
  });

  it('every channel type says an update is an update of an incident, not a new problem', async () => {
    const update = sampleMessages().find((s) => s.name === 'an incident update')!.message;
    const plain = sampleMessages().find((s) => s.name === 'three firing alerts')!.message;
    for (const plugin of CHANNEL_PLUGINS) {
      const rendered = await renderDefaultTemplates(plugin.defaultTemplates, update);
      expect(`${plugin.type}: ${rendered.title}`).toBe(
        `${plugin.type}: [INCIDENT UPDATE 1] KubePodCrashLooping (cluster=prod-eu-1, namespace=team-3): 1 new, 1 resolved, 6 of 7 firing`,
      );
      expect(rendered.body).toContain('not a new problem');
      const ordinary = await renderDefaultTemplates(plugin.defaultTemplates, plain);
      expect(ordinary.title).not.toContain('INCIDENT');
      expect(ordinary.body).not.toContain('incident');
    }
  });
});
