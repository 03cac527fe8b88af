import { compileMatcher, parseMatcher } from '../../../../src/services/gateway/label-matcher';
import { InhibitionStage } from '../../../../src/services/gateway/pipeline/inhibition.stage';
import type { Hold } from '../../../../src/services/gateway/record-state';
import { equalKey, type CompiledInhibitionRule } from '../../../../src/services/inhibition/inhibition-rule.service';
import type { InhibitionOutcome, SourceSighting, TargetCandidate } from '../../../../src/services/inhibition/inhibition.repository';
import { FakeFlags, receiptOf } from './fakes';

const rule: CompiledInhibitionRule = {
  id: 'r',
  name: 'node-down',
  source: [compileMatcher(parseMatcher('alertname="NodeDown"'))],
  target: [compileMatcher(parseMatcher('severity="warning"'))],
  equal: ['node'],
};

function setup(outcome: Partial<InhibitionOutcome> = {}) {
  const flags = new FakeFlags();
  const calls: Array<{ sources: SourceSighting[]; targets: TargetCandidate[]; resolved: string[] }> = [];
  const released: unknown[] = [];
  const stage = new InhibitionStage({
    flags,
    rules: { rules: () => [rule] },
    repository: {
      apply: async (sources, targets, resolved) => {
        calls.push({ sources, targets, resolved });
        return { inhibited: new Map(), resolvedWhileHeld: new Set(), released: [], ...outcome };
      },
    },
    releaser: { send: async (r) => void released.push(...r) },
    logger: { warn: () => {} },
    timing: () => ({ sourceTtlMs: 60_000, releaseWaitMs: 0 }),
  });
  return { stage, flags, calls, released };
}

const none = (n: number): Array<Hold | null> => Array.from({ length: n }, () => null);

describe('inhibition stage', () => {
  it('does nothing with gateway.inhibition off, or when no alert meets a rule', async () => {
    const { stage, flags, calls } = setup();
    await stage.hold(receiptOf('r1', [{ fingerprint: 'a', labels: { alertname: 'NodeDown', node: 'n1' } }]), none(1));
    expect(calls).toHaveLength(0);
    flags.on.add('gateway.inhibition');
    await stage.hold(receiptOf('r2', [{ fingerprint: 'b', labels: { alertname: 'Other', severity: 'critical' } }]), none(1));
    expect(calls).toHaveLength(0);
  });

  it('reports sources (firing and resolved) and firing targets; resolved targets separately', async () => {
    const { stage, flags, calls } = setup();
    flags.on.add('gateway.inhibition');
    await stage.hold(
      receiptOf('r1', [
        { fingerprint: 's', labels: { alertname: 'NodeDown', node: 'n1' } },
        { fingerprint: 't', labels: { alertname: 'PodSlow', severity: 'warning', node: 'n1' } },
        { fingerprint: 'u', labels: { alertname: 'PodSlow', severity: 'warning', node: 'n2' }, status: 'resolved' },
        { fingerprint: 'x', labels: { alertname: 'NodeDown', node: 'n3' }, status: 'resolved' },
      ]),
      none(4),
    );
    expect(calls[0].sources.map((s) => [s.fingerprint, s.firing])).toEqual([
      ['s', true],
      ['x', false],
    ]);
    expect(calls[0].targets.map((t) => t.fingerprint)).toEqual(['t']);
    expect(calls[0].targets[0].equalKey).toBe(equalKey(rule, { node: 'n1' }));
    expect(calls[0].resolved).toEqual(['u']);
  });

  it('holds what the repository says is inhibited, naming rule and source, and sends releases', async () => {
    const releasedAlert = {
      fingerprint: 'old',
      ruleId: 'r',
      alert: { status: 'firing' as const, labels: {}, annotations: {}, startsAt: '' },
      receiver: 'x',
      groupKey: 'g',
      releasedAt: new Date(),
    };
    const { stage, flags, released } = setup({
      inhibited: new Map([['t', { ruleId: 'r', fingerprint: 's', alertname: 'NodeDown', firingSince: new Date('2026-12-01T00:00:00Z') }]]),
      resolvedWhileHeld: new Set(['u']),
      released: [releasedAlert],
    });
    flags.on.add('gateway.inhibition');
    const held = none(3);
    await stage.hold(
      receiptOf('r1', [
        { fingerprint: 't', labels: { alertname: 'PodSlow', severity: 'warning', node: 'n1' } },
        { fingerprint: 'u', labels: { alertname: 'PodSlow', severity: 'warning', node: 'n1' }, status: 'resolved' },
        { fingerprint: 'v', labels: { alertname: 'PodSlow', severity: 'warning', node: 'n9' } },
      ]),
      held,
    );
    expect(held[0]).toEqual({
      state: 'inhibited',
      detail: 'inhibited by rule "node-down": source NodeDown (s) firing since 2026-12-01T00:00:00.000Z',
    });
    expect(held[1]?.state).toBe('inhibited');
    expect(held[2]).toBeNull();
    await new Promise((r) => setImmediate(r));
    expect(released).toEqual([releasedAlert]);
  });

  it('a label missing on both sides counts as equal, as in Alertmanager', () => {
    expect(equalKey(rule, {})).toBe(equalKey(rule, { node: '' }));
    expect(equalKey(rule, { node: 'a' })).not.toBe(equalKey(rule, { node: 'b' }));
  });
});
