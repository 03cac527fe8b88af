import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

export const ALERT_RECORD_STATES = [
  'received',
  'routed',
  'delivered',
  'partially_delivered',
  'failed',
  'unrouted',
  'duplicate',
  'converged',
  'grouped',
  'inhibited',
  'flapping',
  'suppressed',
  'batched',
] as const;
export type AlertRecordState = (typeof ALERT_RECORD_STATES)[number];

/** The processing record of one alert in one receipt: what it was, where it went, how long it took. */
@Entity({ tableName: 'alert_record' })
@Index({ properties: ['receivedAt'] })
@Index({ properties: ['fingerprint', 'receivedAt'] })
@Index({ properties: ['alertname', 'receivedAt'] })
@Index({
  name: 'alert_record_incident_index',
  expression: 'create index "alert_record_incident_index" on "alert_record" ("incident_id") where "incident_id" is not null',
})
@Index({
  name: 'alert_record_delivery_ids_index',
  expression: 'create index "alert_record_delivery_ids_index" on "alert_record" using gin ("delivery_ids" jsonb_path_ops)',
})
export class AlertRecordEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Index()
  @Property({ type: 'uuid' })
  receiptId!: string;

  @Property({ type: 'string', length: 64 })
  fingerprint!: string;

  @Property({ type: 'string', length: 16 })
  status!: string;

  @Property({ type: 'string', length: 200 })
  alertname!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  severity?: string | null;

  @Property({ type: 'string', length: 200, nullable: true })
  cluster?: string | null;

  @Property({ type: 'json' })
  labels!: Record<string, string>;

  @Property({ type: 'json' })
  annotations!: Record<string, string>;

  @Property({ type: 'datetime' })
  startsAt!: Date;

  /** Where the alert came from (Prometheus' graph link), when Alertmanager sent one. */
  @Property({ type: 'text', nullable: true })
  generatorUrl?: string | null;

  @Property({ type: 'datetime', nullable: true })
  endsAt?: Date | null;

  @Property({ type: 'datetime' })
  receivedAt!: Date;

  @Property({ type: 'datetime', nullable: true })
  routedAt?: Date | null;

  @Property({ type: 'datetime', nullable: true })
  firstDeliveredAt?: Date | null;

  @Property({ type: 'string', length: 32 })
  state: AlertRecordState = 'received';

  @Property({ type: 'json' })
  routeNames: string[] = [];

  @Property({ type: 'json' })
  deliveryIds: string[] = [];

  /** The incident this alert belongs to (flag gateway.grouping). */
  @Property({ type: 'uuid', nullable: true })
  incidentId?: string | null;

  /** Why a stage held it back (the copy it duplicates, the incident, the inhibition rule and source …). */
  @Property({ type: 'text', nullable: true })
  holdReason?: string | null;
}
