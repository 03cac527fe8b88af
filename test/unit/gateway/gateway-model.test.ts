import type { AlertmanagerAlert } from '../../../src/services/gateway/alertmanager-payload';
import { compileTable } from '../../../src/services/gateway/route-table';
import { checkRoute, routeSpecOf, tableSpec } from '../../../src/services/gateway/route.service';
import { compilePolicy } from '../../../src/services/incidents/correlation-policy.service';
import { compileInhibitionRule } from '../../../src/services/inhibition/inhibition-rule.service';
import { compileMaintenanceWindow } from '../../../src/services/maintenance-windows/maintenance-window.service';
import { GatewayModel, type GatewayModelConfig, type ModelFlag, type ModelNotification } from '../../../src/services/replay/gateway-model';

const T0 = Date.parse('2026-12-01T10:00:00Z');
const MIN = 60_000;

/** Channel ids are uuids; these read as their names in expectations. */
const C: Record<string, string> = {
  c1: '00000000-0000-4000-8000-0000000000c1',
  c2: '00000000-0000-4000-8000-0000000000c2',
  'c-db': '00000000-0000-4000-8000-000000000cdb',
};
const nameOf = (id: string) => Object.keys(C).find((k) => C[k] === id) ?? id;

const settings = {
  dedupeWindowMs: MIN,
  convergenceWindowMs: 5 * MIN,
  inhibitionSourceTtlMs: 6 * 60 * MIN,
  inhibitionReleaseWaitMs: 0,
  flapChanges: 4,
  flapWindowMs: 60 * MIN,
  flapQuietMs: 15 * MIN,
};

function table(
  routes: Array<{
    name: string;
    matchers?: string[];
    channelIds: string[];
    isDefault?: boolean;
    perAlert?: boolean;
    groupWaitSeconds?: number;
    groupIntervalSeconds?: number;
    repeatIntervalSeconds?: number;
  }>,
) {
  const specs = routes.map((r, i) => {
    const { parsed, matchers, window } = checkRoute({ ...r, channelIds: r.channelIds.map((c) => C[c]) });
    return { spec: routeSpecOf(`r${i}`, parsed, matchers, window), isDefault: parsed.isDefault };
  });
  return compileTable(
    tableSpec(
      specs.filter((s) => !s.isDefault).map((s) => s.spec),
      specs.find((s) => s.isDefault)?.spec ?? null,
    ),
  );
}

function model(flags: ModelFlag[], extra: Partial<GatewayModelConfig> = {}) {
  const sent: ModelNotification[] = [];
  const config: GatewayModelConfig = {
    flags: new Set(flags),
    routes: table([{ name: 'all', isDefault: true, channelIds: ['c1'] }]),
    policies: [],
    inhibitionRules: [],
    maintenanceWindows: [],
    settings,
    ...extra,
  };
  return { m: new GatewayModel(config, (n) => sent.push(n)), sent };
}

function alert(name: string, labels: Record<string, string> = {}, status: 'firing' | 'resolved' = 'firing'): AlertmanagerAlert {
  const all = { alertname: name, ...labels };
  return {
    status,
    labels: all,
    annotations: {},
    startsAt: '2026-12-01T09:59:00Z',
    endsAt: '0001-01-01T00:00:00Z',
    generatorURL: '',
    fingerprint: JSON.stringify(all),
  };
}

const at = (minutes: number, alerts: AlertmanagerAlert[], groupKey = '{}:{g="1"}') => ({
  receivedAt: new Date(T0 + minutes * MIN),
  payload: { groupKey, alerts },
});
const states = (outcomes: Array<{ state: string }>) => outcomes.map((o) => o.state);

/** Inhibition by `NodeDown` of the node's warnings, whose targets wait 5 minutes once it stops. */
function nodeDownWithReleaseWait() {
  const rule = compileInhibitionRule(
    { name: 'node-down', sourceMatchers: ['alertname="NodeDown"'], targetMatchers: ['severity="warning"'], equal: ['node'] },
    'i',
  ).compiled;
  return model(['gateway.inhibition'], { inhibitionRules: [rule], settings: { ...settings, inhibitionReleaseWaitMs: 5 * MIN } });
}

describe('gateway model (replays)', () => {
  it('phase 1: one message per route and channel per receipt; HA copies dropped; per-alert routes split', () => {
    const routes = table([
      { name: 'db', matchers: ['team="db"'], channelIds: ['c-db'], perAlert: true },
      { name: 'rest', isDefault: true, channelIds: ['c1', 'c2'] },
    ]);
    const { m, sent } = model([], { routes });
    const receipt = at(0, [alert('A', { team: 'db' }), alert('B', { team: 'db' }), alert('C')]);
    expect(states(m.feed(receipt))).toEqual(['sent', 'sent', 'sent']);
    // The other Alertmanager replica's copy.
    expect(states(m.feed({ ...receipt, receivedAt: new Date(T0 + 200) }))).toEqual(['duplicate', 'duplicate', 'duplicate']);
    expect(sent.map((n) => `${n.routeId}:${nameOf(n.channelId)}:${n.alerts}`).sort()).toEqual([
      'r0:c-db:1',
      'r0:c-db:1',
      'r1:c1:1',
      'r1:c2:1',
    ]);
  });

  it('alerts no route takes are unrouted', () => {
    const { m } = model([], { routes: table([{ name: 'db', matchers: ['team="db"'], channelIds: ['c1'] }]) });
    expect(states(m.feed(at(0, [alert('A')])))).toEqual(['unrouted']);
  });

  it('convergence: repeats within the window fold into one summary just before it closes; a resolution ends it', () => {
    const { m, sent } = model(['gateway.convergence']);
    expect(states(m.feed(at(0, [alert('A')])))).toEqual(['sent']);
    expect(states(m.feed(at(2, [alert('A')])))).toEqual(['converged']);
    expect(states(m.feed(at(4, [alert('A')])))).toEqual(['converged']);
    m.finish(T0 + 10 * MIN);
    expect(sent.map((n) => n.kind)).toEqual(['alerts', 'convergence-summary']);
    // Window closed early by a resolution: no summary.
    const second = model(['gateway.convergence']);
    second.m.feed(at(0, [alert('B')]));
    second.m.feed(at(1, [alert('B')]));
    expect(states(second.m.feed(at(2, [alert('B', {}, 'resolved')])))).toEqual(['sent']);
    second.m.finish(T0 + 10 * MIN);
    expect(second.sent.map((n) => n.kind)).toEqual(['alerts', 'alerts']);
  });

  it('incidents: the first alert goes at once, related ones fold into one update per interval, then one resolution', () => {
    const policy = compilePolicy({ name: 'node', labels: ['cluster', 'node'], updateIntervalSeconds: 300 }, 'p').compiled;
    const { m, sent } = model(['gateway.grouping'], { policies: [policy] });
    const node = { cluster: 'prod', node: 'n1' };
    expect(states(m.feed(at(0, [alert('NodeDown', node)])))).toEqual(['sent']);
    expect(states(m.feed(at(1, [alert('PodCrash', node), alert('DiskIO', node)], '{}:{g="2"}')))).toEqual(['grouped', 'grouped']);
    expect(states(m.feed(at(2, [alert('Unrelated', { cluster: 'prod', node: 'n2' })])))).toEqual(['sent']);
    m.feed(at(3, [alert('KubeletDown', node)], '{}:{g="3"}'));
    m.advanceTo(T0 + 6 * MIN);
    // One update at the interval's end, telling both folds.
    expect(sent.filter((n) => n.kind === 'incident-update').map((n) => n.alerts)).toEqual([3]);
    m.feed(
      at(
        20,
        [
          alert('NodeDown', node, 'resolved'),
          alert('PodCrash', node, 'resolved'),
          alert('DiskIO', node, 'resolved'),
          alert('KubeletDown', node, 'resolved'),
        ],
        '{}:{g="4"}',
      ),
    );
    m.advanceTo(T0 + 25 * MIN);
    expect(sent.map((n) => n.kind)).toEqual(['alerts', 'alerts', 'incident-update', 'incident-resolution']);
    expect([m.incidentsOpened, m.incidentsReopened]).toEqual([2, 0]);
    // Fires again within the reopen grace (15 min after the resolution): no new first notice.
    expect(states(m.feed(at(30, [alert('NodeDown', node)])))).toEqual(['grouped']);
    expect(m.incidentsReopened).toBe(1);
    // After the grace it is a new problem.
    const later = model(['gateway.grouping'], { policies: [policy] });
    later.m.feed(at(0, [alert('NodeDown', node)]));
    later.m.feed(at(1, [alert('NodeDown', node, 'resolved')]));
    later.m.advanceTo(T0 + 10 * MIN);
    expect(states(later.m.feed(at(30, [alert('NodeDown', node)])))).toEqual(['sent']);
    expect(later.m.incidentsOpened).toBe(2);
  });

  it('incidents with a resolve hold: an alert flapping within it is told once firing and once resolved, when the hold has passed', () => {
    const flapping = (resolveHoldSeconds: number) => {
      const policy = compilePolicy({ name: 'disk', labels: ['cluster', 'node'], resolveHoldSeconds }, 'p').compiled;
      const { m, sent } = model(['gateway.grouping'], { policies: [policy] });
      const node = { cluster: 'prod', node: 'n1' };
      for (const minute of [0, 10, 20]) {
        m.feed(at(minute, [alert('DiskFull', node)]));
        m.feed(at(minute + 5, [alert('DiskFull', node, 'resolved')]));
      }
      m.advanceTo(T0 + 90 * MIN);
      return sent.map((n) => [n.kind, Math.round((n.at - T0) / MIN)]);
    };
    // Held 10 min: the resolutions at 5 and 15 min are followed by a new firing within the hold.
    expect(flapping(600)).toEqual([
      ['alerts', 0],
      ['incident-resolution', 35],
    ]);
    // Without it, every flap costs a resolution and a reopening.
    expect(flapping(0).map(([kind]) => kind)).toEqual([
      'alerts',
      'incident-resolution',
      'incident-update',
      'incident-resolution',
      'incident-update',
      'incident-resolution',
    ]);
  });

  it('inhibition: targets are held while a source with equal labels fires, and released when it resolves', () => {
    const rule = compileInhibitionRule(
      {
        name: 'unreachable',
        sourceMatchers: ['alertname="ClusterUnreachable"'],
        targetMatchers: ['severity="warning"'],
        equal: ['cluster'],
      },
      'i',
    ).compiled;
    const { m, sent } = model(['gateway.inhibition'], { inhibitionRules: [rule] });
    expect(states(m.feed(at(0, [alert('ClusterUnreachable', { cluster: 'a' })])))).toEqual(['sent']);
    expect(
      states(
        m.feed(at(1, [alert('ApiSlow', { cluster: 'a', severity: 'warning' }), alert('ApiSlow', { cluster: 'b', severity: 'warning' })])),
      ),
    ).toEqual(['inhibited', 'sent']);
    expect(states(m.feed(at(2, [alert('DbSlow', { cluster: 'a', severity: 'warning' })])))).toEqual(['inhibited']);
    expect(states(m.feed(at(3, [alert('DbSlow', { cluster: 'a', severity: 'warning' }, 'resolved')])))).toEqual(['inhibited']);
    m.feed(at(5, [alert('ClusterUnreachable', { cluster: 'a' }, 'resolved')]));
    expect(sent.map((n) => `${n.kind}:${n.alerts}`)).toEqual(['alerts:1', 'alerts:1', 'inhibition-release:1', 'alerts:1']);
  });

  it('inhibition: a source no longer reported stops inhibiting after the source TTL, and what it held is released then', () => {
    const rule = compileInhibitionRule(
      {
        name: 'unreachable',
        sourceMatchers: ['alertname="ClusterUnreachable"'],
        targetMatchers: ['severity="warning"'],
        equal: ['cluster'],
      },
      'i',
    ).compiled;
    const { m, sent } = model(['gateway.inhibition'], {
      inhibitionRules: [rule],
      settings: { ...settings, inhibitionSourceTtlMs: 30 * MIN },
    });
    m.feed(at(0, [alert('ClusterUnreachable', { cluster: 'a' })]));
    m.feed(at(20, [alert('ClusterUnreachable', { cluster: 'a' })]));
    expect(states(m.feed(at(21, [alert('ApiSlow', { cluster: 'a', severity: 'warning' })])))).toEqual(['inhibited']);
    m.advanceTo(T0 + 50 * MIN);
    expect(sent.filter((n) => n.kind === 'inhibition-release')).toEqual([]);
    // Last seen at minute 20: expired, and ApiSlow released, just after minute 50.
    m.advanceTo(T0 + 51 * MIN);
    expect(sent.filter((n) => n.kind === 'inhibition-release').map((n) => n.alerts)).toEqual([1]);
    expect(states(m.feed(at(52, [alert('DbSlow', { cluster: 'a', severity: 'warning' })])))).toEqual(['sent']);
  });

  it('inhibition with a release wait: targets resolved or reported again within it are not released; the rest are, together, when it ends', () => {
    const { m, sent } = nodeDownWithReleaseWait();
    const warning = (name: string, status: 'firing' | 'resolved' = 'firing', node = 'n1') =>
      alert(name, { node, severity: 'warning' }, status);
    m.feed(at(0, [alert('NodeDown', { node: 'n1' }), alert('NodeDown', { node: 'n2' })]));
    expect(
      states(
        m.feed(
          at(
            1,
            ['A', 'B', 'C', 'D'].map((n) => warning(n)),
          ),
        ),
      ),
    ).toEqual(['inhibited', 'inhibited', 'inhibited', 'inhibited']);
    expect(states(m.feed(at(1, [warning('E', 'firing', 'n2')], '{}:{g="2"}')))).toEqual(['inhibited']);
    m.feed(at(10, [alert('NodeDown', { node: 'n1' }, 'resolved'), alert('NodeDown', { node: 'n2' }, 'resolved')]));
    // Within the wait: A resolves (never sent), B is reported firing by its own group (sent now, by the normal path).
    expect(states(m.feed(at(11, [warning('A', 'resolved'), warning('B'), warning('C'), warning('D')], '{}:{g="3"}')))).toEqual([
      'inhibited',
      'sent',
      'sent',
      'sent',
    ]);
    // n2's source fires again: E stays held when the wait ends.
    m.feed(at(12, [alert('NodeDown', { node: 'n2', again: 'yes' })]));
    m.advanceTo(T0 + 14 * MIN);
    expect(sent.filter((n) => n.kind === 'inhibition-release')).toEqual([]);
    m.advanceTo(T0 + 15 * MIN);
    expect(sent.filter((n) => n.kind === 'inhibition-release')).toEqual([]);
    expect(sent.map((n) => `${n.kind}:${n.alerts}`)).toEqual(['alerts:2', 'alerts:2', 'alerts:3', 'alerts:1']);
  });

  it('inhibition with a release wait: what is still held when it ends goes in one release', () => {
    const { m, sent } = nodeDownWithReleaseWait();
    m.feed(at(0, [alert('NodeDown', { node: 'n1' })]));
    m.feed(
      at(
        1,
        ['A', 'B', 'C'].map((n) => alert(n, { node: 'n1', severity: 'warning' })),
      ),
    );
    m.feed(at(10, [alert('NodeDown', { node: 'n1' }, 'resolved')]));
    m.advanceTo(T0 + 14 * MIN);
    expect(sent.filter((n) => n.kind === 'inhibition-release')).toEqual([]);
    m.advanceTo(T0 + 15 * MIN);
    expect(sent.filter((n) => n.kind === 'inhibition-release').map((n) => n.alerts)).toEqual([3]);
  });

  it('maintenance: covered alerts are suppressed; what still fires at the end is sent then', () => {
    const window = compileMaintenanceWindow(
      { name: 'upgrade', schedule: 'once', startsAt: new Date(T0), endsAt: new Date(T0 + 30 * MIN), clusters: ['a'] },
      'w',
      new Date(T0),
    ).compiled;
    const { m, sent } = model(['gateway.maintenance'], { maintenanceWindows: [window] });
    expect(
      states(m.feed(at(1, [alert('Api', { cluster: 'a' }), alert('Cache', { cluster: 'a' }), alert('Api', { cluster: 'b' })]))),
    ).toEqual(['suppressed', 'suppressed', 'sent']);
    expect(states(m.feed(at(2, [alert('Cache', { cluster: 'a' }, 'resolved')])))).toEqual(['suppressed']);
    m.finish(T0 + 31 * MIN);
    expect(sent.map((n) => `${n.kind}:${n.alerts}`)).toEqual(['alerts:1', 'maintenance-release:1']);
  });

  it('flap damping: told once as flapping, held while it flaps, summarised once it settles', () => {
    const { m, sent } = model(['gateway.advanced-convergence']);
    const seq = ['firing', 'resolved', 'firing', 'resolved', 'firing', 'resolved', 'firing'] as const;
    const got = seq.map((status, i) => m.feed(at(i * 3, [alert('Disk', {}, status)]))[0].state);
    expect(got).toEqual(['sent', 'sent', 'sent', 'sent', 'sent', 'flapping', 'flapping']);
    m.finish(T0 + 60 * MIN);
    expect(sent.map((n) => n.kind)).toEqual(['alerts', 'alerts', 'alerts', 'alerts', 'alerts', 'flap-summary']);
  });

  it('flap damping with incidents: an alert that settles resolved closes its incident without a message beyond its summary', () => {
    const policy = compilePolicy({ name: 'node', labels: ['node'] }, 'p').compiled;
    const { m, sent } = model(['gateway.grouping', 'gateway.advanced-convergence'], { policies: [policy] });
    // Becomes flapping at a firing (the fifth report), which reaches the incident; then held.
    const seq = ['firing', 'resolved', 'firing', 'resolved', 'firing', 'resolved'] as const;
    seq.forEach((status, i) => m.feed(at(i * 3, [alert('Disk', { node: 'n1' }, status)])));
    // Long past the incident's quiet window (6 h): it closed when the alert settled, not at the window's end.
    m.finish(T0 + 8 * 60 * MIN);
    expect(sent.at(-1)!.kind).toBe('flap-summary');
  });

  it('route windows: wait gathers the first burst, the interval batches what follows, repeats are not told again', () => {
    const routes = table([
      { name: 'all', isDefault: true, channelIds: ['c1'], groupWaitSeconds: 30, groupIntervalSeconds: 300, repeatIntervalSeconds: 3600 },
    ]);
    const { m, sent } = model(['gateway.advanced-convergence'], { routes });
    const S = 1_000;
    const feedAt = (ms: number, alerts: AlertmanagerAlert[]) =>
      m.feed({ receivedAt: new Date(T0 + ms), payload: { groupKey: `g${ms}`, alerts } });
    expect(states(feedAt(0, [alert('A', { cluster: 'x' })]))).toEqual(['batched']);
    expect(states(feedAt(10 * S, [alert('B', { cluster: 'y' })]))).toEqual(['batched']);
    m.advanceTo(T0 + 30 * S);
    expect(sent.map((n) => `${n.kind}:${n.alerts}`)).toEqual(['route-window:2']);
    expect(states(feedAt(60 * S, [alert('C', { cluster: 'x' }), alert('A', { cluster: 'x' })]))).toEqual(['batched', 'converged']);
    m.advanceTo(T0 + 331 * S);
    expect(sent.map((n) => `${n.kind}:${n.alerts}`)).toEqual(['route-window:2', 'route-window:1']);
    // After the interval, a change goes out at once in the receipt's own message.
    expect(states(feedAt(700 * S, [alert('A', { cluster: 'x' }, 'resolved')]))).toEqual(['sent']);
    // A per-alert route's messages of one receipt are decided together: all go now, each in its own message.
    const perAlert = model(['gateway.advanced-convergence'], {
      routes: table([{ name: 'all', isDefault: true, channelIds: ['c1'], perAlert: true, groupIntervalSeconds: 300 }]),
    });
    expect(states(perAlert.m.feed(at(0, [alert('P'), alert('Q'), alert('R')])))).toEqual(['sent', 'sent', 'sent']);
    expect(perAlert.sent.map((n) => n.alerts)).toEqual([1, 1, 1]);
    // With the flag off the same routes send as phase 1.
    const off = model([], { routes });
    expect(states(off.m.feed(at(0, [alert('A')])))).toEqual(['sent']);
  });

  it('flags off: every stage passes everything, whatever is configured', () => {
    const policy = compilePolicy({ name: 'node', labels: ['node'] }, 'p').compiled;
    const { m, sent } = model([], { policies: [policy] });
    for (let i = 0; i < 5; i++) m.feed(at(i, [alert('X', { node: 'n1' }), alert(`Y${i}`, { node: 'n1' })]));
    expect(sent).toHaveLength(5);
  });
});
