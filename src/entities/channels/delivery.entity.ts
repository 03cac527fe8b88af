import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { ChannelMessage } from '../../domain/channel-message';
import { ChannelEntity } from './channel.entity';

export const DELIVERY_STATUSES = ['pending', 'queued', 'sending', 'retrying', 'delivered', 'failed'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

/**
 * One message owed to one channel. The row is the durable truth (an outbox): queue jobs only
 * wake it up, and a sender holds it through a lease, so a crash never loses or doubles it.
 */
@Entity({ tableName: 'delivery' })
@Index({ properties: ['status', 'nextAttemptAt'] })
@Index({
  name: 'delivery_queued_index',
  expression: `create index "delivery_queued_index" on "delivery" ("channel_id", "priority" desc, "created_at") where "status" = 'queued'`,
})
export class DeliveryEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Index()
  @ManyToOne(() => ChannelEntity, { deleteRule: 'cascade' })
  channel!: ChannelEntity;

  @Property({ type: 'string', length: 200, unique: true })
  idempotencyKey!: string;

  @Property({ type: 'string', length: 32 })
  source!: string;

  @Property({ type: 'string', length: 16 })
  status: DeliveryStatus = 'pending';

  @Property({ type: 'json' })
  message!: ChannelMessage;

  @Property({ type: 'integer' })
  attempts: number = 0;

  @Property({ type: 'integer' })
  maxAttempts!: number;

  @Property({ type: 'datetime', nullable: true })
  nextAttemptAt?: Date | null;

  /** While set and in the future, a sender owns the delivery. */
  @Property({ type: 'datetime', nullable: true })
  leaseUntil?: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime', nullable: true })
  deliveredAt?: Date | null;

  /** 1 for the first notice of a critical alert: it leaves a robot's queue before the rest. */
  @Property({ type: 'smallint' })
  priority: number = 0;

  /** The delivery to the backup channel this one was handed over to. */
  @Property({ type: 'uuid', nullable: true })
  failoverDeliveryId?: string | null;
}
