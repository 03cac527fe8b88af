import { decideWindow, type KnownAlert } from '../../../src/services/route-windows/route-window-rules';

const S = 1_000;
const settings = { waitSeconds: 30, intervalSeconds: 300, repeatSeconds: 3_600 };
const told = (status: string, at: number, by: string | null = 'r0'): KnownAlert => ({
  status,
  queuedAt: null,
  queuedBy: null,
  toldStatus: status,
  toldAt: at,
  toldBy: by,
});
const queued = (status: string, at: number, by: string, toldStatus: string | null = null): KnownAlert => ({
  status,
  queuedAt: at,
  queuedBy: by,
  toldStatus,
  toldAt: toldStatus ? 0 : null,
  toldBy: null,
});

describe('route window rules (group wait, interval, repeat across clusters)', () => {
  it('an idle route waits group_wait for what comes with its first alert; without a wait it sends at once', () => {
    const verdict = decideWindow(settings, { lastFlushAt: null, nextFlushAt: null }, 'r1', 1_000 * S, [{ status: 'firing', known: null }]);
    expect(verdict).toEqual({ decisions: ['queue'], nextFlushAt: 1_030 * S, sends: false });
    const atOnce = decideWindow({ ...settings, waitSeconds: 0 }, { lastFlushAt: null, nextFlushAt: null }, 'r1', 1_000 * S, [
      { status: 'firing', known: null },
    ]);
    expect(atOnce).toEqual({ decisions: ['send'], nextFlushAt: null, sends: true });
  });

  it('within the group interval after a message, new alerts wait for the next tick; at the tick edge they go at once', () => {
    const last = 1_000 * S;
    const inside = decideWindow(settings, { lastFlushAt: last, nextFlushAt: null }, 'r2', last + 299_999, [
      { status: 'firing', known: null },
    ]);
    expect(inside).toEqual({ decisions: ['queue'], nextFlushAt: last + 300 * S, sends: false });
    const atEdge = decideWindow(settings, { lastFlushAt: last, nextFlushAt: null }, 'r2', last + 300 * S, [
      { status: 'firing', known: null },
    ]);
    expect(atEdge).toEqual({ decisions: ['send'], nextFlushAt: null, sends: true });
  });

  it('a tick already booked takes every new alert', () => {
    const verdict = decideWindow(settings, { lastFlushAt: null, nextFlushAt: 2_000 * S }, 'r3', 1_990 * S, [
      { status: 'firing', known: null },
      { status: 'resolved', known: told('firing', 1_000 * S) },
    ]);
    expect(verdict).toEqual({ decisions: ['queue', 'queue'], nextFlushAt: 2_000 * S, sends: false });
  });

  it('a firing alert told within the repeat interval is a repeat; at the repeat edge it is told again', () => {
    const at = 10_000 * S;
    const known = told('firing', at);
    const state = { lastFlushAt: at, nextFlushAt: null };
    expect(decideWindow(settings, state, 'r4', at + 3_599_999, [{ status: 'firing', known }]).decisions).toEqual(['repeat']);
    expect(decideWindow(settings, state, 'r4', at + 3_600_000, [{ status: 'firing', known }]).decisions).toEqual(['send']);
    // A change of status is always new; a resolution told once is never repeated.
    expect(decideWindow(settings, state, 'r4', at + 600 * S, [{ status: 'resolved', known }]).decisions).toEqual(['send']);
    expect(decideWindow(settings, state, 'r4', at + 9_000 * S, [{ status: 'resolved', known: told('resolved', at) }]).decisions).toEqual([
      'repeat',
    ]);
  });

  it('an alert already waiting is not queued twice; resolved before ever told firing, it is dropped', () => {
    const state = { lastFlushAt: null, nextFlushAt: 2_000 * S };
    expect(
      decideWindow(settings, state, 'r5', 1_990 * S, [{ status: 'firing', known: queued('firing', 1_980 * S, 'r4') }]).decisions,
    ).toEqual(['repeat']);
    expect(
      decideWindow(settings, state, 'r5', 1_990 * S, [{ status: 'resolved', known: queued('firing', 1_980 * S, 'r4') }]).decisions,
    ).toEqual(['drop']);
    expect(
      decideWindow(settings, state, 'r5', 1_990 * S, [{ status: 'resolved', known: queued('firing', 1_980 * S, 'r4', 'firing') }])
        .decisions,
    ).toEqual(['repeat']);
  });

  it('the same receipt processed again (after a crash) gets the same decisions', () => {
    const at = 5_000 * S;
    // It was sent by r6's own message, and the window has meanwhile booked a tick: still "send".
    expect(
      decideWindow(settings, { lastFlushAt: at, nextFlushAt: at + 300 * S }, 'r6', at + 1, [
        { status: 'firing', known: told('firing', at, 'r6') },
      ]).decisions,
    ).toEqual(['send']);
    expect(
      decideWindow(settings, { lastFlushAt: at, nextFlushAt: at + 300 * S }, 'r7', at + 1, [
        { status: 'firing', known: queued('firing', at, 'r7') },
      ]).decisions,
    ).toEqual(['queue']);
  });

  it('a route idle for a repeat interval counts as new again (its wait applies)', () => {
    const last = 1_000 * S;
    expect(
      decideWindow(settings, { lastFlushAt: last, nextFlushAt: null }, 'r8', last + 3_599 * S, [{ status: 'firing', known: null }])
        .decisions,
    ).toEqual(['send']);
    expect(
      decideWindow(settings, { lastFlushAt: last, nextFlushAt: null }, 'r8', last + 3_600 * S, [{ status: 'firing', known: null }]),
    ).toEqual({ decisions: ['queue'], nextFlushAt: last + 3_630 * S, sends: false });
  });
});
