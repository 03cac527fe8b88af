import type { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import type { AlertView, ChannelMessage } from './message';

/**
 * A message about one recorded alert told again later (a follow-up, an escalation, an approval
 * request): the alert as it was recorded, with what this message adds to its annotations.
 */
export function recordMessage(record: AlertRecordEntity, added: Record<string, string>, receiver: string): ChannelMessage {
  const annotations = { ...record.annotations, ...added };
  const alert: AlertView = {
    status: record.status === 'resolved' ? 'resolved' : 'firing',
    labels: record.labels,
    annotations,
    startsAt: record.startsAt.toISOString(),
    ...(record.endsAt ? { endsAt: record.endsAt.toISOString() } : {}),
    ...(record.generatorUrl ? { generatorURL: record.generatorUrl } : {}),
    fingerprint: record.fingerprint,
  };
  return {
    kind: 'alerts',
    status: alert.status,
    alerts: [alert],
    groupLabels: { alertname: record.alertname },
    commonLabels: record.labels,
    commonAnnotations: annotations,
    receiver,
  };
}
