import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** One accepted webhook request, stored before the 200 so nothing accepted can be lost. */
@Entity({ tableName: 'alert_receipt' })
@Index({ properties: ['processedAt', 'receivedAt'] })
@Index({ name: 'alert_receipt_received_at_index', properties: ['receivedAt', 'id'] })
export class AlertReceiptEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'datetime' })
  receivedAt: Date = new Date();

  @Property({ type: 'text' })
  groupKey!: string;

  @Property({ type: 'text' })
  receiver!: string;

  @Property({ type: 'string', length: 16 })
  status!: string;

  @Property({ type: 'integer' })
  alertCount!: number;

  @Property({ type: 'integer' })
  truncatedAlerts: number = 0;

  /** Who sent it (a cluster name once clusters exist; the authenticated principal for now). */
  @Property({ type: 'string', length: 200 })
  source!: string;

  @Property({ type: 'json' })
  payload!: Record<string, unknown>;

  @Property({ type: 'datetime', nullable: true })
  processedAt?: Date | null;
}
