import { compileMatcher, parseMatcher } from '../../../../src/services/gateway/label-matcher';
import { IncidentStage, incidentTitle } from '../../../../src/services/gateway/pipeline/incident.stage';
import type { Hold } from '../../../../src/services/gateway/record-state';
import { correlationKey, policyApplies, type CompiledPolicy } from '../../../../src/services/incidents/correlation-policy.service';
import type { CorrelatedAlerts, JoinOutcome } from '../../../../src/services/incidents/incident.repository';
import { FakeFlags, receiptOf } from './fakes';

const policy: CompiledPolicy = {
  id: 'p',
  name: 'node',
  labels: ['cluster', 'node'],
  matchers: [compileMatcher(parseMatcher('severity="critical"'))],
  windowSeconds: 3600,
  updateIntervalSeconds: 60,
  reopenGraceSeconds: 60,
  resolveHoldSeconds: 0,
};

function setup(answer: (group: CorrelatedAlerts) => JoinOutcome, knownNodes: string[] = []) {
  const flags = new FakeFlags();
  const joined: CorrelatedAlerts[] = [];
  const scheduled: unknown[] = [];
  let tookOver = 0;
  const sentFirst: boolean[] = [];
  const stage = new IncidentStage({
    flags,
    policies: { policyFor: (labels) => (policyApplies(policy, labels) ? policy : null) },
    repository: {
      join: async (group, _now, alreadySent) => {
        joined.push(group);
        sentFirst.push(alreadySent ?? false);
        return answer(group);
      },
      takeOver: async () => {
        tookOver += 1;
        return true;
      },
      knownKeys: async () => knownNodes.map((n) => ({ key: correlationKey(policy, { cluster: 'prod', node: n }), until: Infinity })),
      joinOpen: async (group) => {
        joined.push(group);
        return answer(group);
      },
    },
    receiptExists: async (id) => id !== 'lost',
    notifier: { schedule: async (p) => void scheduled.push(p), announce: () => {} },
    routes: { decideAll: async (sets) => ({ decisions: sets.map(() => ({ routes: [], channelIds: ['c1'] })), fallbackReason: null }) },
    events: { subscribe: () => (async function* () {})() },
    logger: { warn: () => {}, error: () => {} },
  });
  return { stage, flags, joined, scheduled, sentFirst, tookOver: () => tookOver };
}

const none = (n: number): Array<Hold | null> => Array.from({ length: n }, () => null);
const node = (n: string) => ({ cluster: 'prod', node: n });

describe('incident stage', () => {
  it('does nothing with gateway.grouping off', async () => {
    const { stage, joined } = setup(() => ({ role: 'none' }));
    const held = none(1);
    await stage.hold(receiptOf('r1', [{ fingerprint: 'a', labels: node('n1') }]), held);
    expect(held).toEqual([null]);
    expect(joined).toHaveLength(0);
  });

  it('alerts of incidents this replica does not know go out at once and are joined after; alerts no policy takes are left alone', async () => {
    const { stage, flags, joined, sentFirst } = setup(() => ({ role: 'opener', incidentId: 'i', title: 't', reopened: false }));
    await stage.start();
    flags.on.add('gateway.grouping');
    const receipt = receiptOf('r1', [
      { fingerprint: 'a', labels: node('n1') },
      { fingerprint: 'b', labels: node('n1') },
      { fingerprint: 'c', labels: node('n2') },
      { fingerprint: 'd', labels: { cluster: 'prod' } },
      { fingerprint: 'e', labels: { ...node('n1'), severity: 'info' } },
    ]);
    const held = none(5);
    await stage.hold(receipt, held);
    expect(held).toEqual(none(5));
    expect(receipt.afterSend).toHaveLength(2);
    await Promise.all(receipt.afterSend);
    expect(sentFirst).toEqual([true, true]);
    expect(joined.map((g) => g.alerts.map((a) => a.fingerprint))).toEqual([['a', 'b'], ['c']]);
    expect(joined[0].title).toBe('DiskFull (cluster=prod, node=n1)');
    expect(await joined[0].channelsOfFirstNotice()).toEqual(['c1']);
    expect(receipt.incidents).toEqual(['i', 'i', 'i', null, null]);
  });

  it('holds members as grouped and books their update; skips what an earlier stage held', async () => {
    const pending = { incidentId: 'i', pendingSince: new Date(), dueAt: new Date() };
    const { stage, flags, scheduled, joined, sentFirst } = setup(
      () => ({
        role: 'member',
        incidentId: 'i',
        title: 'NodeDown (cluster=prod, node=n1)',
        changed: true,
        reopened: false,
        pending,
        openedBy: 'r1',
        notified: false,
      }),
      ['n1'],
    );
    await stage.start();
    flags.on.add('gateway.grouping');
    const held: Array<Hold | null> = [{ state: 'duplicate', detail: 'copy' }, null];
    await stage.hold(
      receiptOf('r2', [
        { fingerprint: 'a', labels: node('n1') },
        { fingerprint: 'b', labels: node('n1') },
      ]),
      held,
    );
    expect(joined[0].alerts.map((a) => a.fingerprint)).toEqual(['b']);
    expect(sentFirst).toEqual([false]);
    expect(held[0]?.state).toBe('duplicate');
    expect(held[1]).toEqual({ state: 'grouped', detail: 'part of incident "NodeDown (cluster=prod, node=n1)" (i)' });
    await new Promise((r) => setImmediate(r));
    expect(scheduled).toEqual([pending]);
  });

  it('takes over as opener when the opening receipt was never stored, so its first notice still goes out', async () => {
    const member = (openedBy: string, notified: boolean): JoinOutcome => ({
      role: 'member',
      incidentId: 'i',
      title: 't',
      changed: true,
      reopened: false,
      pending: null,
      openedBy,
      notified,
    });
    for (const [openedBy, notified, expected] of [
      ['lost', false, null],
      ['stored', false, 'grouped'],
      ['lost', true, 'grouped'],
    ] as const) {
      const { stage, flags, tookOver } = setup(() => member(openedBy, notified), ['n1']);
      await stage.start();
      flags.on.add('gateway.grouping');
      const held = none(1);
      await stage.hold(receiptOf('r2', [{ fingerprint: 'a', labels: node('n1') }]), held);
      expect([openedBy, notified, held[0]?.state ?? null]).toEqual([openedBy, notified, expected]);
      expect(tookOver()).toBe(expected === null ? 1 : 0);
    }
  }, 10_000);

  it('a replica learns of incidents opened elsewhere from incident events', async () => {
    const key = correlationKey(policy, { cluster: 'prod', node: 'n5' });
    let push: (event: unknown) => void = () => {};
    const events = {
      subscribe: () =>
        (async function* () {
          for (;;) yield await new Promise((resolve) => (push = resolve));
        })(),
    };
    const { flags } = setup(() => ({ role: 'none' }));
    const joined: boolean[] = [];
    const stage = new IncidentStage({
      flags,
      policies: { policyFor: () => policy },
      repository: {
        join: async (_g, _n, alreadySent) => (joined.push(alreadySent ?? false), { role: 'none' }),
        joinOpen: async () => ({ role: 'none' }),
        takeOver: async () => false,
        knownKeys: async () => [],
      },
      receiptExists: async () => true,
      notifier: { schedule: async () => {}, announce: () => {} },
      routes: { decideAll: async () => ({ decisions: [], fallbackReason: null }) },
      events: events as never,
      logger: { warn: () => {}, error: () => {} },
    });
    await stage.start();
    flags.on.add('gateway.grouping');
    await new Promise((r) => setImmediate(r));
    push({ correlationKey: key, reopenUntil: null });
    await new Promise((r) => setImmediate(r));
    const receipt = receiptOf('r9', [{ fingerprint: 'z', labels: { ...node('n5'), severity: 'critical' } }]);
    await stage.hold(receipt, none(1));
    expect(joined).toEqual([false]);
  });

  it('released inhibition targets join an open incident (and only an open one) with grouping on', async () => {
    const pending = { incidentId: 'i', pendingSince: new Date(), dueAt: new Date() };
    const { stage, flags, joined, scheduled } = setup((group) =>
      group.labels.node === 'n1'
        ? { role: 'member', incidentId: 'i', title: 't', changed: true, reopened: false, pending, openedBy: 'r1', notified: false }
        : { role: 'none' },
    );
    const released = (node: string, fingerprint: string) => ({
      alert: {
        status: 'firing' as const,
        labels: { alertname: 'PodDown', severity: 'critical', cluster: 'prod', node },
        annotations: {},
        startsAt: '2026-12-04T10:00:00Z',
        fingerprint,
      },
      receiver: 'team',
    });
    expect(await stage.joinReleased([released('n1', 'a')])).toEqual(new Set());
    flags.on.add('gateway.grouping');
    expect(await stage.joinReleased([released('n1', 'a'), released('n2', 'b')])).toEqual(new Set(['a']));
    expect(joined.map((g) => [g.labels.node, g.receiver, g.alerts[0].fingerprint])).toEqual([
      ['n1', 'team', 'a'],
      ['n2', 'team', 'b'],
    ]);
    expect(scheduled).toEqual([pending]);
  });

  it('titles incidents by the first alert and the shared values', () => {
    expect(incidentTitle('NodeDown', { cluster: 'prod', node: 'n1' })).toBe('NodeDown (cluster=prod, node=n1)');
    expect(incidentTitle('', { node: 'n1' })).toBe('alerts (node=n1)');
  });
});
