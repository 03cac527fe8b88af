import type { AlertRecordState } from '../../../entities/gateway/alert-record.entity';
import type { Logger } from '../../../shared/logger';
import type { Metrics } from '../../observability/metrics';
import type { EventBus } from '../../pubsub/event-bus';
import type { AlertmanagerAlert } from '../alertmanager-payload';
import { eventTypeOf, stageOf } from '../record-state';

type CountedAlert = Pick<AlertmanagerAlert, 'status' | 'labels' | 'fingerprint'>;

/** The last stage: what became of each record, told to metrics and to subscribers. */
export class RecordEvents {
  constructor(
    private readonly metrics: Metrics,
    private readonly events: EventBus,
    private readonly logger: Logger,
  ) {}

  /** One counter increment per stage, cluster and severity, however many alerts share them. */
  count(counted: Array<{ state: AlertRecordState; alert: CountedAlert }>): void {
    const totals = new Map<string, { labels: { stage: string; cluster: string; severity: string }; n: number }>();
    for (const { state, alert } of counted) {
      const labels = { stage: stageOf(state), ...this.metrics.alertLabels(alert.labels) };
      const key = `${labels.stage}\u0000${labels.cluster}\u0000${labels.severity}`;
      const total = totals.get(key);
      if (total) total.n += 1;
      else totals.set(key, { labels, n: 1 });
    }
    for (const { labels, n } of totals.values()) this.metrics.gatewayAlerts.inc(labels, n);
  }

  /** Time from receipt to first delivery, once a record has one. */
  firstDelivery(alert: CountedAlert, receivedAt: Date, firstDeliveredAt: Date | null): void {
    if (!firstDeliveredAt) return;
    this.metrics.gatewayFirstDelivery.observe(
      this.metrics.alertLabels(alert.labels),
      Math.max(0, firstDeliveredAt.getTime() - receivedAt.getTime()) / 1000,
    );
  }

  /** Announces a record's state; never throws (subscribers are not on the alert path). */
  async publish(state: AlertRecordState, recordId: string, receiptId: string, alert: CountedAlert, detail: string | null): Promise<void> {
    try {
      await this.events.publish('gateway.event', {
        type: eventTypeOf(state, alert.status),
        recordId,
        receiptId,
        fingerprint: alert.fingerprint,
        alertname: alert.labels.alertname ?? '',
        severity: alert.labels.severity ?? null,
        cluster: alert.labels.cluster ?? null,
        status: alert.status,
        at: new Date().toISOString(),
        detail,
      });
    } catch (err) {
      this.logger.warn({ err }, 'could not publish a gateway event');
    }
  }
}
