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
}
