import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../domain/sealed-secret';
import { ChannelGroupEntity } from './channel-group.entity';

export interface StoredTemplates {
  title?: string;
  body?: string;
  html?: string;
}

/** As stored; parsed and defaulted by the delivery policy schema. */
export type StoredDeliveryPolicy = Record<string, unknown>;

/** What the last scheduled probe found. */
export interface StoredProbe {
  ok: boolean;
  latencyMs: number;
  detail: string;
  at: string;
}

/** A destination for alerts. Public settings live in `config`; secret fields only sealed, in `secrets`. */
@Entity({ tableName: 'channel' })
export class ChannelEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 100, unique: true })
  name!: string;

  @Index()
  @Property({ type: 'string', length: 32 })
  type!: string;

  @Property({ type: 'json' })
  config: Record<string, unknown> = {};

  @Property({ type: 'json' })
  secrets: Record<string, SealedSecret> = {};

  @Property({ type: 'json', nullable: true })
  templates?: StoredTemplates | null;

  @ManyToOne(() => ChannelGroupEntity, { nullable: true, deleteRule: 'set null' })
  group?: ChannelGroupEntity | null;

  @Property({ type: 'text[]' })
  tags: string[] = [];

  @Property({ type: 'boolean' })
  enabled: boolean = true;

  /** Rate limit, pool, backup, SLO and probe settings (see services/channels/delivery-policy). */
  @Property({ type: 'json' })
  deliveryPolicy: StoredDeliveryPolicy = {};

  /** Set while the channel's SLO is breached; flipped by one replica, which announces it. */
  @Property({ type: 'datetime', nullable: true })
  sloBreachedAt?: Date | null;

  /** When a scheduled probe last ran (claimed by one replica). */
  @Property({ type: 'datetime', nullable: true })
  probedAt?: Date | null;

  @Property({ type: 'json', nullable: true })
  lastProbe?: StoredProbe | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
