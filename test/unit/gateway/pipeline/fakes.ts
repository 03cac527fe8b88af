import type { DeliveryRow } from '../../../../src/services/channels/delivery.repository';
import type { ChannelMessage } from '../../../../src/services/channels/message';
import type { FlagName } from '../../../../src/services/flags/flag-definitions';
import type { FlagResolver } from '../../../../src/services/flags/flag-resolver';
import { parseAlertmanagerPayload } from '../../../../src/services/gateway/alertmanager-payload';
import { freshReceipt, type ReceiptInHand } from '../../../../src/services/gateway/pipeline/receipt';
import { recordIdFor } from '../../../../src/services/gateway/record-state';
import type { CompiledRoute } from '../../../../src/services/gateway/route-table';
import { validPayload } from '../../../support/alerts';

/** Flags switched by the test. */
export class FakeFlags implements FlagResolver {
  readonly on = new Set<FlagName>();
  isEnabled(name: FlagName): boolean {
    return this.on.has(name);
  }
  list(): [] {
    return [];
  }
}

/** A receipt in hand with one alert per entry of `alerts` (labels and status over the valid payload's alert). */
export function receiptOf(
  receiptId: string,
  alerts: Array<{ fingerprint: string; status?: 'firing' | 'resolved'; labels?: Record<string, string> }>,
  groupKey = '{}:{alertname="DiskFull"}',
): ReceiptInHand {
  const raw = validPayload();
  const template = raw.alerts[0];
  raw.groupKey = groupKey;
  raw.alerts = alerts.map((a) => ({
    ...template,
    fingerprint: a.fingerprint,
    status: a.status ?? 'firing',
    labels: { ...template.labels, ...a.labels },
  }));
  const { payload } = parseAlertmanagerPayload(JSON.stringify(raw));
  return freshReceipt({
    receiptId,
    payload,
    receivedAt: new Date(),
    recordIds: payload.alerts.map((_, i) => recordIdFor(receiptId, i)),
    stored: null,
  });
}

export function route(id: string, channelIds: string[], perAlert = false): CompiledRoute {
  return {
    id,
    name: id,
    matchers: [],
    channelIds,
    continueMatching: false,
    perAlert,
    analysisProviderId: null,
    window: null,
    followUps: [],
  };
}

/** A delivery service that records what it was handed and answers with a row in `status`. */
export class FakeDeliveries {
  readonly handed: Array<{ channelId: string; message: ChannelMessage; idempotencyKey?: string }> = [];
  constructor(private readonly answer: (channelId: string) => DeliveryRow['status'] | Error = () => 'delivered') {}

  async deliver(channelId: string, message: ChannelMessage, options: { idempotencyKey?: string }): Promise<DeliveryRow> {
    const answer = this.answer(channelId);
    if (answer instanceof Error) throw answer;
    this.handed.push({ channelId, message, idempotencyKey: options.idempotencyKey });
    const now = new Date();
    return {
      id: `d-${this.handed.length}`,
      channelId,
      idempotencyKey: options.idempotencyKey ?? '',
      source: 'gateway',
      status: answer,
      message,
      attempts: 1,
      maxAttempts: 3,
      nextAttemptAt: null,
      lastError: null,
      createdAt: now,
      deliveredAt: answer === 'delivered' ? now : null,
      priority: 0,
      failoverDeliveryId: null,
    };
  }
}
