import { NotFoundError } from '../../../../src/errors';
import { ConvergenceStage, type ConvergenceDeps } from '../../../../src/services/gateway/pipeline/convergence.stage';
import { DedupeStage } from '../../../../src/services/gateway/pipeline/dedupe.stage';
import { deliverReceipt } from '../../../../src/services/gateway/pipeline/delivery.stage';
import { groupForDelivery, routeReceipt } from '../../../../src/services/gateway/pipeline/routing.stage';
import { WindowClaims } from '../../../../src/services/gateway/pipeline/window-claims';
import type { Hold } from '../../../../src/services/gateway/record-state';
import type { RouteDecision } from '../../../../src/services/gateway/route-table';
import { InProcessWindowStore } from '../../../../src/services/gateway/window-store';
import { FakeDeliveries, FakeFlags, receiptOf, route } from './fakes';

const none = (n: number): Array<Hold | null> => Array.from({ length: n }, () => null);
const silentLogger = { error: () => {}, warn: () => {} };

describe('gateway pipeline stages', () => {
  describe('HA dedupe', () => {
    const setup = (stored: Set<string>) => {
      const windows = new InProcessWindowStore();
      return new DedupeStage(new WindowClaims(windows, async (id) => stored.has(id), 0), () => 60_000);
    };

    it('takes the first copy of a notification and holds the others as duplicates of it', async () => {
      const stage = setup(new Set(['r1']));
      const first = receiptOf('r1', [{ fingerprint: 'a' }, { fingerprint: 'b' }]);
      const held1 = none(2);
      await stage.hold(first, held1);
      expect(held1).toEqual([null, null]);
      expect(first.claimed).toHaveLength(2);

      const copy = receiptOf('r2', [{ fingerprint: 'a' }, { fingerprint: 'c' }]);
      const held2 = none(2);
      await stage.hold(copy, held2);
      expect(held2[0]).toEqual({ state: 'duplicate', detail: 'same notification already taken by receipt r1' });
      expect(held2[1]).toBeNull();
    });

    it('never holds a receipt against itself when it is processed again', async () => {
      const stage = setup(new Set(['r1']));
      await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), none(1));
      const again = none(1);
      await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), again);
      expect(again).toEqual([null]);
    });

    it('a copy takes over a window whose receipt was never stored', async () => {
      const stage = setup(new Set());
      await stage.hold(receiptOf('lost', [{ fingerprint: 'a' }]), none(1));
      const copy = receiptOf('r2', [{ fingerprint: 'a' }]);
      const held = none(1);
      await stage.hold(copy, held);
      expect(held).toEqual([null]);
      expect(copy.claimed).toHaveLength(1);
    });

    it('tells a resolution from the firing notification before it', async () => {
      const stage = setup(new Set(['r1']));
      await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), none(1));
      const held = none(1);
      await stage.hold(receiptOf('r2', [{ fingerprint: 'a', status: 'resolved' }]), held);
      expect(held).toEqual([null]);
    });
  });

  describe('basic convergence', () => {
    const setup = () => {
      const flags = new FakeFlags();
      const windows = new InProcessWindowStore();
      const enqueued: unknown[] = [];
      const deps = {
        orm: null as never,
        claims: new WindowClaims(windows, async () => true, 0),
        windows,
        flags,
        routes: { decideAll: async () => ({ decisions: [{ routes: [], channelIds: ['ch'] }], fallbackReason: null }) },
        queue: { enqueue: async (...args: unknown[]) => void enqueued.push(args) } as unknown as ConvergenceDeps['queue'],
        deliveries: null as never,
        logger: silentLogger as never,
        windowMs: () => 60_000,
      } satisfies ConvergenceDeps;
      return { stage: new ConvergenceStage(deps), flags, enqueued };
    };

    it('does nothing with its flag off', async () => {
      const { stage } = setup();
      for (const id of ['r1', 'r2']) {
        const held = none(1);
        await stage.hold(receiptOf(id, [{ fingerprint: 'a' }]), held);
        expect(held).toEqual([null]);
      }
    });

    it('holds repeats of a firing alert and books one summary at the first repeat', async () => {
      const { stage, flags, enqueued } = setup();
      flags.on.add('gateway.convergence');
      await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), none(1));
      for (const id of ['r2', 'r3']) {
        const held = none(1);
        await stage.hold(receiptOf(id, [{ fingerprint: 'a' }]), held);
        expect(held[0]?.state).toBe('converged');
      }
      await new Promise((r) => setImmediate(r));
      expect(enqueued).toHaveLength(1);
    });

    it('lets a resolution through and ends the window, so the next firing goes out', async () => {
      const { stage, flags } = setup();
      flags.on.add('gateway.convergence');
      await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), none(1));
      const resolved = none(1);
      await stage.hold(receiptOf('r2', [{ fingerprint: 'a', status: 'resolved' }]), resolved);
      expect(resolved).toEqual([null]);
      const refiring = none(1);
      await stage.hold(receiptOf('r3', [{ fingerprint: 'a' }]), refiring);
      expect(refiring).toEqual([null]);
    });

    it('at the window edge: a repeat exactly one window later folds (Alertmanager sends group updates one group_interval apart), one after the margin does not', async () => {
      jest.useFakeTimers({ now: new Date('2026-12-04T10:00:00Z'), doNotFake: ['setImmediate', 'nextTick'] });
      try {
        const { stage, flags, enqueued } = setup();
        flags.on.add('gateway.convergence');
        await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), none(1));
        jest.setSystemTime(new Date('2026-12-04T10:01:00.000Z'));
        const atEdge = none(1);
        await stage.hold(receiptOf('r2', [{ fingerprint: 'a' }]), atEdge);
        expect(atEdge[0]?.state).toBe('converged');
        await new Promise((r) => setImmediate(r));
        // The summary is booked to run after the last repeat the window can take.
        const [[, data, options]] = enqueued as Array<[string, { receiver?: string; groupKey?: string }, { delayMs: number }]>;
        expect(options.delayMs).toBeGreaterThan(4_000);
        expect(data).toMatchObject({ receiver: 'alertagent', groupKey: '{}:{alertname="DiskFull"}' });
        jest.setSystemTime(new Date('2026-12-04T10:01:05.001Z'));
        const past = none(1);
        await stage.hold(receiptOf('r3', [{ fingerprint: 'a' }]), past);
        expect(past).toEqual([null]);
      } finally {
        jest.useRealTimers();
      }
    });

    it('leaves alerts an earlier stage held alone', async () => {
      const { stage, flags } = setup();
      flags.on.add('gateway.convergence');
      const held: Array<Hold | null> = [{ state: 'duplicate', detail: 'copy' }];
      await stage.hold(receiptOf('r1', [{ fingerprint: 'a' }]), held);
      const next = none(1);
      await stage.hold(receiptOf('r2', [{ fingerprint: 'a' }]), next);
      expect(held[0]?.state).toBe('duplicate');
      expect(next).toEqual([null]);
    });
  });

  describe('routing', () => {
    it('groups alerts per route and channel, and a per-alert route per alert', () => {
      const grouped = route('g', ['c1', 'c2']);
      const single = route('p', ['c1'], true);
      const decisions: RouteDecision[] = [
        { routes: [grouped], channelIds: ['c1', 'c2'] },
        { routes: [grouped, single], channelIds: ['c1', 'c2'] },
        { routes: [single], channelIds: ['c1'] },
      ];
      expect(groupForDelivery(decisions).map((g) => [g.key, g.indexes])).toEqual([
        ['g:c1', [0, 1]],
        ['g:c2', [0, 1]],
        ['p:c1:1', [1]],
        ['p:c1:2', [2]],
      ]);
    });

    it('routes only what no stage held, and keeps the hold as the note', async () => {
      const asked: unknown[] = [];
      const routes = {
        decideAll: async (labelSets: Array<Record<string, string>>) => {
          asked.push(...labelSets);
          return { decisions: labelSets.map(() => ({ routes: [route('r', ['c'])], channelIds: ['c'] })), fallbackReason: null };
        },
      };
      const receipt = receiptOf('r1', [
        { fingerprint: 'a', labels: { n: '0' } },
        { fingerprint: 'b', labels: { n: '1' } },
      ]);
      const result = await routeReceipt(routes, receipt, [{ state: 'duplicate', detail: 'copy' }, null]);
      expect(asked).toEqual([expect.objectContaining({ n: '1' })]);
      expect(result.decisions[0].routes).toEqual([]);
      expect(result.notes).toEqual(['copy', null]);
      expect(result.groups.map((g) => g.indexes)).toEqual([[1]]);
    });
  });

  describe('delivery', () => {
    const routed = (n: number, channelIds: string[]) => {
      const decisions = Array.from({ length: n }, () => ({ routes: [route('r', channelIds)], channelIds }));
      return { decisions, notes: decisions.map(() => null as string | null), groups: groupForDelivery(decisions) };
    };

    it('one message per group, keyed by receipt and group; records delivered', async () => {
      const deliveries = new FakeDeliveries();
      const receipt = receiptOf('r1', [{ fingerprint: 'a' }, { fingerprint: 'b' }]);
      const result = await deliverReceipt(deliveries, silentLogger, receipt, none(2), routed(2, ['c1']));
      expect(deliveries.handed).toHaveLength(1);
      expect(deliveries.handed[0].idempotencyKey).toBe('r1:r:c1');
      expect(deliveries.handed[0].message.alerts).toHaveLength(2);
      expect(result.failedHandOff).toBe(false);
      expect(result.outcomes.map((o) => o.state)).toEqual(['delivered', 'delivered']);
      expect(result.outcomes[0].firstDeliveredAt).toBeInstanceOf(Date);
    });

    it('a deleted channel fails the alert with a note and is not retried; another error leaves the receipt unfinished', async () => {
      const gone = await deliverReceipt(
        new FakeDeliveries(() => new NotFoundError('channel c1 not found')),
        silentLogger,
        receiptOf('r1', [{ fingerprint: 'a' }]),
        none(1),
        routed(1, ['c1']),
      );
      expect(gone.outcomes[0].state).toBe('failed');
      expect(gone.failedHandOff).toBe(false);

      const routing = routed(1, ['c1']);
      const broken = await deliverReceipt(
        new FakeDeliveries(() => new Error('database down')),
        silentLogger,
        receiptOf('r2', [{ fingerprint: 'a' }]),
        none(1),
        routing,
      );
      expect(broken.outcomes[0].state).toBe('received');
      expect(broken.failedHandOff).toBe(true);
    });

    it('a held alert keeps its hold as its state and is sent nowhere', async () => {
      const deliveries = new FakeDeliveries();
      const decisions = [{ routes: [], channelIds: [] }];
      const result = await deliverReceipt(
        deliveries,
        silentLogger,
        receiptOf('r1', [{ fingerprint: 'a' }]),
        [{ state: 'converged', detail: 'repeat' }],
        {
          decisions,
          notes: ['repeat'],
          groups: groupForDelivery(decisions),
        },
      );
      expect(deliveries.handed).toHaveLength(0);
      expect(result.outcomes[0].state).toBe('converged');
    });

    it('partial when one channel of two refuses for now', async () => {
      const deliveries = new FakeDeliveries((channelId) => (channelId === 'c2' ? 'retrying' : 'delivered'));
      const result = await deliverReceipt(
        deliveries,
        silentLogger,
        receiptOf('r1', [{ fingerprint: 'a' }]),
        none(1),
        routed(1, ['c1', 'c2']),
      );
      expect(result.outcomes[0].state).toBe('partially_delivered');
    });
  });
});
