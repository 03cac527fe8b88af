import type { FlagResolver } from '../../flags/flag-resolver';
import type { RouteWindowFlusher } from '../../route-windows/route-window-flusher';
import type { RouteWindowRepository } from '../../route-windows/route-window.repository';
import type { WindowDecision } from '../../route-windows/route-window-rules';
import { toAlertView, type Hold } from '../record-state';
import type { ReceiptInHand } from './receipt';
import type { DeliveryGroup, RoutingResult } from './routing.stage';

export interface RouteWindowStageDeps {
  flags: Pick<FlagResolver, 'isEnabled'>;
  repository: Pick<RouteWindowRepository, 'offer'>;
  flusher: Pick<RouteWindowFlusher, 'book'>;
}

/**
 * Route windows (flag gateway.advanced-convergence), after routing: for routes that have one, each
 * channel's window decides which alerts go in this receipt's message and which wait for the
 * window's next one (`batched`) or were told already (`converged`). Routes without a window,
 * and every route with the flag off, send as phase 1 does.
 */
export class RouteWindowStage {
  constructor(private readonly deps: RouteWindowStageDeps) {}

  async apply(receipt: ReceiptInHand, held: Array<Hold | null>, routing: RoutingResult): Promise<void> {
    const windowed = routing.groups.filter((g) => g.route.window !== null);
    if (windowed.length === 0 || !this.deps.flags.isEnabled('gateway.advanced-convergence', receipt.flagContext)) return;
    const { payload, receiptId } = receipt;
    const now = new Date();
    const fate = new Map<number, Array<{ decision: WindowDecision; route: string; dueAt: number | null }>>();
    // One window per route and channel: a per-alert route's messages of one receipt are decided together.
    const byWindow = new Map<string, DeliveryGroup[]>();
    for (const group of windowed)
      byWindow.set(`${group.route.id}|${group.channelId}`, [...(byWindow.get(`${group.route.id}|${group.channelId}`) ?? []), group]);
    await Promise.all(
      [...byWindow.values()].map(async (groups) => {
        const { route, channelId } = groups[0];
        const indexes = groups.flatMap((g) => g.indexes);
        const candidates = indexes.map((i) => ({
          fingerprint: payload.alerts[i].fingerprint,
          status: payload.alerts[i].status,
          alert: toAlertView(payload.alerts[i]),
          receiver: payload.receiver,
          groupKey: payload.groupKey,
        }));
        const verdict = await this.deps.repository.offer(
          { id: route.id, name: route.name, window: route.window! },
          channelId,
          receiptId,
          candidates,
          now,
        );
        const decisionOf = new Map(indexes.map((index, i) => [index, verdict.decisions[i]]));
        for (const index of indexes)
          fate.set(index, [
            ...(fate.get(index) ?? []),
            { decision: decisionOf.get(index)!, route: route.name, dueAt: verdict.nextFlushAt },
          ]);
        for (const group of groups) group.indexes = group.indexes.filter((index) => decisionOf.get(index) === 'send');
        if (verdict.nextFlushAt !== null) void this.deps.flusher.book(route.id, channelId, verdict.nextFlushAt);
      }),
    );
    routing.groups = routing.groups.filter((g) => g.indexes.length > 0);
    const stillSent = new Set(routing.groups.flatMap((g) => g.indexes));
    for (const [index, decisions] of fate) {
      if (stillSent.has(index) || held[index] !== null) continue;
      const queued = decisions.find((d) => d.decision === 'queue');
      held[index] = queued
        ? {
            state: 'batched',
            detail: `waiting for route "${queued.route}"'s next message${queued.dueAt ? ` at ${new Date(queued.dueAt).toISOString()}` : ''}`,
          }
        : {
            state: 'converged',
            detail: `already told by route "${decisions[0].route}" within its repeat interval${decisions.some((d) => d.decision === 'drop') ? ' (resolved before it was told firing)' : ''}`,
          };
    }
  }
}
