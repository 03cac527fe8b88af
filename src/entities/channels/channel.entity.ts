import { Entity, Index, ManyToOne, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../services/security/secret-box';
import { ChannelGroupEntity } from './channel-group.entity';

export interface StoredTemplates {
  title?: string;
  body?: string;
  html?: string;
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

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
