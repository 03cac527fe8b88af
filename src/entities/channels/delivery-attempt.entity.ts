import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import { ChannelEntity } from './channel.entity';
import { DeliveryEntity } from './delivery.entity';

/** One try at a delivery, with the peer's answer: the raw material of channel health. */
@Entity({ tableName: 'delivery_attempt' })
@Index({ properties: ['channel', 'createdAt'] })
export class DeliveryAttemptEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Index()
  @ManyToOne(() => DeliveryEntity, { deleteRule: 'cascade' })
  delivery!: DeliveryEntity;

  @ManyToOne(() => ChannelEntity, { deleteRule: 'cascade' })
  channel!: ChannelEntity;

  @Property({ type: 'integer' })
  attempt!: number;

  @Property({ type: 'boolean' })
  ok!: boolean;

  @Property({ type: 'boolean' })
  retryable: boolean = false;

  @Property({ type: 'integer', nullable: true })
  httpStatus?: number | null;

  @Property({ type: 'double' })
  latencyMs!: number;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'text', nullable: true })
  peerAnswer?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  /** Deliveries the message carried (merged while the robot was at its limit); 0 when nothing was sent (handed over at once). */
  @Property({ type: 'integer' })
  carried: number = 1;

  /** The pool member whose robot carried the message, when not the channel's own. */
  @Property({ type: 'uuid', nullable: true })
  robotChannelId?: string | null;

  /** Set on the attempt after which the delivery was handed over to the backup channel. */
  @Property({ type: 'uuid', nullable: true })
  failoverDeliveryId?: string | null;
}
