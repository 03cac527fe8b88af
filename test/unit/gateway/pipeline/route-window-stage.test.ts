import { RouteWindowStage } from '../../../../src/services/gateway/pipeline/route-window.stage';
import { groupForDelivery } from '../../../../src/services/gateway/pipeline/routing.stage';
import type { Hold } from '../../../../src/services/gateway/record-state';
import { decideWindow, type KnownAlert } from '../../../../src/services/route-windows/route-window-rules';
import type { WindowCandidate } from '../../../../src/services/route-windows/route-window.repository';
import { FakeFlags, receiptOf, route } from './fakes';

/** The repository's decisions in memory: the same rules, one window per route and channel. */
class MemoryWindows {
  readonly offers: Array<{ key: string; fingerprints: string[] }> = [];
  private readonly windows = new Map<string, { lastFlushAt: number | null; nextFlushAt: number | null; known: Map<string, KnownAlert> }>();
  async offer(
    r: { id: string; window: { waitSeconds: number; intervalSeconds: number; repeatSeconds: number } },
    channelId: string,
    receiptId: string,
    candidates: WindowCandidate[],
    now: Date,
  ) {
    const key = `${r.id}|${channelId}`;
    this.offers.push({ key, fingerprints: candidates.map((c) => c.fingerprint) });
    const w = this.windows.get(key) ?? { lastFlushAt: null, nextFlushAt: null, known: new Map<string, KnownAlert>() };
    this.windows.set(key, w);
    const verdict = decideWindow(
      r.window,
      w,
      receiptId,
      now.getTime(),
      candidates.map((c) => ({ status: c.status, known: w.known.get(c.fingerprint) ?? null })),
    );
    verdict.decisions.forEach((d, i) => {
      const c = candidates[i];
      if (d === 'send')
        w.known.set(c.fingerprint, {
          status: c.status,
          queuedAt: null,
          queuedBy: null,
          toldStatus: c.status,
          toldAt: now.getTime(),
          toldBy: receiptId,
        });
      if (d === 'queue')
        w.known.set(c.fingerprint, {
          status: c.status,
          queuedAt: now.getTime(),
          queuedBy: receiptId,
          toldStatus: null,
          toldAt: null,
          toldBy: null,
        });
    });
    if (verdict.sends) w.lastFlushAt = now.getTime();
    if (verdict.nextFlushAt !== null) w.nextFlushAt ??= verdict.nextFlushAt;
    return verdict;
  }
}

describe('route window stage', () => {
  const windowed = (perAlert: boolean) => ({
    ...route('r1', ['c1'], perAlert),
    window: { waitSeconds: 0, intervalSeconds: 300, repeatSeconds: 3600 },
  });
  const setup = () => {
    const flags = new FakeFlags();
    flags.on.add('gateway.advanced-convergence');
    const windows = new MemoryWindows();
    const booked: number[] = [];
    const stage = new RouteWindowStage({ flags, repository: windows, flusher: { book: async (_r, _c, at) => void booked.push(at) } });
    return { stage, windows, booked, flags };
  };
  const routed = (receipt: ReturnType<typeof receiptOf>, perAlert: boolean) => {
    const decisions = receipt.payload.alerts.map(() => ({ routes: [windowed(perAlert)], channelIds: ['c1'] }));
    return { decisions, notes: receipt.payload.alerts.map(() => null), groups: groupForDelivery(decisions) };
  };

  it("decides a per-alert route's messages of one receipt together: all go now", async () => {
    const { stage, windows } = setup();
    const receipt = receiptOf('00000000-0000-4000-8000-000000000001', [{ fingerprint: 'a' }, { fingerprint: 'b' }, { fingerprint: 'c' }]);
    const held: Array<Hold | null> = [null, null, null];
    const routing = routed(receipt, true);
    await stage.apply(receipt, held, routing);
    expect(windows.offers).toEqual([{ key: 'r1|c1', fingerprints: ['a', 'b', 'c'] }]);
    expect(routing.groups.map((g) => g.indexes)).toEqual([[0], [1], [2]]);
    expect(held).toEqual([null, null, null]);
  });

  it('holds what comes within the interval as batched and books the tick; repeats are converged', async () => {
    const { stage, booked } = setup();
    await stage.apply(
      receiptOf('00000000-0000-4000-8000-000000000001', [{ fingerprint: 'a' }]),
      [null],
      routed(receiptOf('00000000-0000-4000-8000-000000000001', [{ fingerprint: 'a' }]), false),
    );
    const receipt = receiptOf('00000000-0000-4000-8000-000000000002', [{ fingerprint: 'a' }, { fingerprint: 'b' }]);
    const held: Array<Hold | null> = [null, null];
    const routing = routed(receipt, false);
    await stage.apply(receipt, held, routing);
    expect(routing.groups).toEqual([]);
    expect(held.map((h) => h?.state)).toEqual(['converged', 'batched']);
    expect(booked).toHaveLength(1);
  });

  it('with the flag off, routes with windows send as phase 1', async () => {
    const { stage, windows, flags } = setup();
    flags.on.clear();
    const receipt = receiptOf('00000000-0000-4000-8000-000000000003', [{ fingerprint: 'a' }]);
    const routing = routed(receipt, false);
    await stage.apply(receipt, [null], routing);
    expect(windows.offers).toEqual([]);
    expect(routing.groups).toHaveLength(1);
  });
});
