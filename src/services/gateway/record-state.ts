import { createHash } from 'node:crypto';
import type { AlertRecordState } from '../../entities/gateway/alert-record.entity';
import type { DeliveryRow } from '../channels/delivery.repository';
import type { AlertView, ChannelMessage } from '../channels/message';
import type { GatewayEvent } from '../pubsub/event-map';
import { ZERO_TIME, type AlertmanagerAlert, type AlertmanagerPayload } from './alertmanager-payload';

/**
 * What a record's state is and how it reads elsewhere (metric stage, event type, message):
 * pure functions, no I/O, so every rule about states is tested in one place.
 */

/** Why an alert of a receipt goes nowhere: a stage held it back. */
export interface Hold {
  state: AlertRecordState;
  detail: string;
}

/** The record of alert `index` in a receipt has an id derived from both, so a reprocessing finds it again. */
export function recordIdFor(receiptId: string, index: number): string {
  const hex = createHash('sha256').update(`${receiptId}:${index}`).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-4${hex.slice(13, 16)}-a${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/** A record's state from its deliveries' first attempts; retries still under way read as routed. */
export function stateOf(deliveries: DeliveryRow[], routed: boolean, failedHandOff: boolean): AlertRecordState {
  if (!routed) return 'unrouted';
  if (deliveries.length === 0) return failedHandOff ? 'received' : 'unrouted';
  const delivered = deliveries.filter((d) => d.status === 'delivered').length;
  if (delivered === deliveries.length && !failedHandOff) return 'delivered';
  if (delivered > 0) return 'partially_delivered';
  if (deliveries.every((d) => d.status === 'failed')) return 'failed';
  return 'routed';
}

/** The `stage` label of `alertagent_gateway_alerts_total` for a state. */
export function stageOf(state: AlertRecordState): string {
  return state === 'partially_delivered' ? 'delivered' : state;
}

/** The earliest delivery time among deliveries, or null when none has delivered. */
export function firstDeliveredAt(deliveries: DeliveryRow[]): Date | null {
  const times = deliveries.map((d) => d.deliveredAt?.getTime()).filter((t): t is number => t !== undefined);
  return times.length > 0 ? new Date(Math.min(...times)) : null;
}

/** The gateway event type a record in `state` is announced as. */
export function eventTypeOf(state: AlertRecordState, status: string): GatewayEvent['type'] {
  if (state === 'received') return 'received';
  if (state === 'delivered' || state === 'partially_delivered') return status === 'resolved' ? 'resolved' : 'delivered';
  if (
    state === 'failed' ||
    state === 'unrouted' ||
    state === 'duplicate' ||
    state === 'converged' ||
    state === 'grouped' ||
    state === 'inhibited' ||
    state === 'flapping' ||
    state === 'suppressed' ||
    state === 'batched'
  )
    return state;
  return 'routed';
}

export function toAlertView(alert: AlertmanagerAlert): AlertView {
  return {
    status: alert.status,
    labels: alert.labels,
    annotations: alert.annotations,
    startsAt: alert.startsAt,
    endsAt: alert.endsAt === ZERO_TIME ? undefined : alert.endsAt,
    generatorURL: alert.generatorURL || undefined,
    fingerprint: alert.fingerprint,
  };
}

/** The message for some of a receipt's alerts, as Alertmanager would have grouped them, with what stages added to each. */
export function messageFor(
  payload: AlertmanagerPayload,
  indexes: number[],
  annotate: ReadonlyArray<Record<string, string> | null> = [],
): ChannelMessage {
  const alerts = indexes.map((i) => {
    const view = toAlertView(payload.alerts[i]);
    const extra = annotate[i];
    return extra ? { ...view, annotations: { ...view.annotations, ...extra } } : view;
  });
  return {
    kind: 'alerts',
    status: alerts.some((a) => a.status === 'firing') ? 'firing' : 'resolved',
    alerts,
    groupLabels: payload.groupLabels,
    commonLabels: payload.commonLabels,
    commonAnnotations: payload.commonAnnotations,
    externalURL: payload.externalURL || undefined,
    receiver: payload.receiver,
    groupKey: payload.groupKey,
    truncatedAlerts: payload.truncatedAlerts,
  };
}
