import type { CompiledRoute, RouteDecision, RouteService } from '../route.service';
import type { Hold } from '../record-state';
import { stillTaken, type ReceiptInHand } from './receipt';

/** Alerts of a receipt that go to one channel through one route as one message. */
export interface DeliveryGroup {
  /** Unique within the receipt; part of the delivery's idempotency key. */
  key: string;
  route: CompiledRoute;
  channelId: string;
  indexes: number[];
}

export interface RoutingResult {
  /** Per alert: where it goes (nowhere for held alerts). */
  decisions: RouteDecision[];
  /** Per alert: what its event says about how it was handled, when there is more to say than its state. */
  notes: Array<string | null>;
  groups: DeliveryGroup[];
}

/**
 * Groups alerts per (route, channel): one message per channel, as Alertmanager groups them; a
 * per-alert route gives each alert its own message.
 */
export function groupForDelivery(decisions: RouteDecision[]): DeliveryGroup[] {
  const groups = new Map<string, DeliveryGroup>();
  decisions.forEach((decision, index) => {
    for (const route of decision.routes) {
      for (const channelId of route.channelIds) {
        const key = route.perAlert ? `${route.id}:${channelId}:${index}` : `${route.id}:${channelId}`;
        const group = groups.get(key) ?? { key, route, channelId, indexes: [] };
        group.indexes.push(index);
        groups.set(key, group);
      }
    }
  });
  return [...groups.values()];
}

/** Routing experiments (flag routing.learning): may put an alert's route in its B arm. */
export interface RoutingVariants {
  apply(decision: RouteDecision, labels: Record<string, string>): RouteDecision;
}

/** Decides where the alerts no stage held go. */
export async function routeReceipt(
  routes: Pick<RouteService, 'decideAll'>,
  receipt: ReceiptInHand,
  held: Array<Hold | null>,
  variants: RoutingVariants | null = null,
): Promise<RoutingResult> {
  const { alerts } = receipt.payload;
  const taken = stillTaken(held);
  const routing = await routes.decideAll(taken.map((index) => alerts[index].labels));
  const decisions: RouteDecision[] = alerts.map(() => ({ routes: [], channelIds: [] }));
  const notes: Array<string | null> = held.map((h) => h?.detail ?? null);
  taken.forEach((index, i) => {
    decisions[index] = variants ? variants.apply(routing.decisions[i], alerts[index].labels) : routing.decisions[i];
    notes[index] = routing.fallbackReason;
  });
  return { decisions, notes, groups: groupForDelivery(decisions) };
}
