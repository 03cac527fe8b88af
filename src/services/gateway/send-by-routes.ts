import { createHash } from 'node:crypto';
import { NotFoundError } from '../../errors';
import type { DeliveryService } from '../channels/delivery.service';
import type { AlertView, ChannelMessage } from '../channels/message';
import type { Logger } from '../../shared/logger';
import { groupForDelivery } from './pipeline/routing.stage';
import type { RouteService } from './route.service';

/** An alert held back and now sent: `identity` names this sending of it (the same on a retry, so it goes out once). */
export interface HeldAlert {
  alert: AlertView;
  receiver: string;
  groupKey: string;
  identity: string;
}

/** Labels every alert of a message shares. */
export function commonLabels(alerts: AlertView[]): Record<string, string> {
  const [first, ...rest] = alerts;
  return Object.fromEntries(Object.entries(first?.labels ?? {}).filter(([k, v]) => rest.every((a) => a.labels[k] === v)));
}

/**
 * Sends alerts a stage held back (inhibited, suppressed by maintenance) once they may go: by their
 * routes, grouped per route and channel as they would have gone, each annotated with why it
 * comes late. True when every group was handed to delivery (or its channel is gone).
 */
export async function sendByRoutes(
  deps: { routes: Pick<RouteService, 'decideAll'>; deliveries: Pick<DeliveryService, 'deliver'>; logger: Pick<Logger, 'warn'> },
  held: HeldAlert[],
  source: string,
  note: Record<string, string>,
): Promise<boolean> {
  if (held.length === 0) return true;
  const alerts = held.map((h) => ({ ...h.alert, annotations: { ...h.alert.annotations, ...note } }));
  const routing = await deps.routes.decideAll(alerts.map((a) => a.labels));
  let handedAll = true;
  for (const group of groupForDelivery(routing.decisions)) {
    const members = group.indexes.map((i) => alerts[i]);
    const first = held[group.indexes[0]];
    const message: ChannelMessage = {
      kind: 'alerts',
      status: 'firing',
      alerts: members,
      groupLabels: {},
      commonLabels: commonLabels(members),
      commonAnnotations: {},
      receiver: first.receiver,
      groupKey: first.groupKey,
    };
    const identity = createHash('sha1')
      .update(group.indexes.map((i) => held[i].identity).join(','))
      .digest('hex');
    try {
      await deps.deliveries.deliver(group.channelId, message, { source, idempotencyKey: `${source}:${identity}:${group.key}` });
    } catch (err) {
      if (err instanceof NotFoundError) continue;
      handedAll = false;
      deps.logger.warn({ err, channelId: group.channelId, source }, 'could not hand held-back alerts to delivery; the sweeper will');
    }
  }
  return handedAll;
}

/**
 * Held-back alerts a crash cut off, in the batches they were first released in (one release
 * time each): sent again together, so their idempotency keys are those of the first try.
 */
export function releasedTogether<T extends { releasedAt: Date }>(rows: T[]): T[][] {
  const batches = new Map<number, T[]>();
  for (const row of rows) batches.set(row.releasedAt.getTime(), [...(batches.get(row.releasedAt.getTime()) ?? []), row]);
  return [...batches.values()];
}
