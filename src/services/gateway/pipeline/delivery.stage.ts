import { NotFoundError } from '../../../errors';
import type { DeliveryRow } from '../../channels/delivery.repository';
import type { DeliveryService } from '../../channels/delivery.service';
import type { Logger } from '../../../shared/logger';
import type { RecordOutcome } from '../gateway.repository';
import { firstDeliveredAt, messageFor, stateOf, type Hold } from '../record-state';
import type { ReceiptInHand } from './receipt';
import type { RoutingResult } from './routing.stage';

/** What delivery made of each alert of a receipt. */
export interface DeliveredReceipt {
  outcomes: RecordOutcome[];
  /** Whether a group could not be handed to delivery (the receipt stays unfinished for the sweeper). */
  failedHandOff: boolean;
}

/**
 * Hands each delivery group to its channel (first attempt at once) and turns the results into
 * each record's outcome. A route naming a deleted channel is recorded, never retried.
 */
export async function deliverReceipt(
  deliveries: Pick<DeliveryService, 'deliver'>,
  logger: Pick<Logger, 'error'>,
  receipt: ReceiptInHand,
  held: Array<Hold | null>,
  routing: RoutingResult,
): Promise<DeliveredReceipt> {
  const { receiptId, payload, recordIds, stored } = receipt;
  const results = await Promise.all(
    routing.groups.map(async (group) => {
      try {
        // A receipt being stored has keys nobody can hold yet: its first attempts need not wait for the store.
        const delivery = await deliveries.deliver(group.channelId, messageFor(payload, group.indexes, receipt.annotate), {
          source: 'gateway',
          idempotencyKey: `${receiptId}:${group.key}`,
          sendWhileStoring: stored !== null,
        });
        return { group, delivery, gone: false };
      } catch (err) {
        if (err instanceof NotFoundError) return { group, delivery: null, gone: true };
        logger.error({ err, receiptId, channelId: group.channelId }, 'could not hand an alert group to delivery');
        return { group, delivery: null, gone: false };
      }
    }),
  );

  const perAlert = payload.alerts.map(() => ({ deliveries: [] as DeliveryRow[], failedHandOff: false, missingChannels: [] as string[] }));
  for (const { group, delivery, gone } of results) {
    for (const index of group.indexes) {
      if (delivery) perAlert[index].deliveries.push(delivery);
      else if (gone) perAlert[index].missingChannels.push(group.channelId);
      else perAlert[index].failedHandOff = true;
    }
  }
  const outcomes = payload.alerts.map((_, index): RecordOutcome => {
    const { deliveries: rows, failedHandOff, missingChannels } = perAlert[index];
    const routed = routing.decisions[index].routes.length > 0;
    const onlyMissing = routed && rows.length === 0 && !failedHandOff && missingChannels.length > 0;
    const state = held[index]?.state ?? (onlyMissing ? 'failed' : stateOf(rows, routed, failedHandOff));
    if (missingChannels.length > 0) routing.notes[index] ??= `route names deleted channel ${missingChannels.join(', ')}`;
    return {
      id: recordIds[index],
      state,
      routeNames: routing.decisions[index].routes.map((r) => r.name),
      deliveryIds: rows.map((d) => d.id),
      firstDeliveredAt: firstDeliveredAt(rows),
      incidentId: receipt.incidents[index] ?? null,
      holdReason: held[index]?.detail ?? null,
    };
  });
  return { outcomes, failedHandOff: perAlert.some((a) => a.failedHandOff) };
}
