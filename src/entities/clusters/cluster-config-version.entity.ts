import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { SealedSecret } from '../../domain/sealed-secret';

/** A rendered, validated alertmanager.yml; the newest version of a cluster is the one its sidecars apply. */
@Entity({ tableName: 'cluster_config_version' })
@Unique({ properties: ['clusterId', 'version'] })
export class ClusterConfigVersionEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  clusterId!: string;

  @Property({ type: 'integer' })
  version!: number;

  /** sha256 of the content, hex. */
  @Property({ type: 'string', length: 64 })
  hash!: string;

  /** The file, sealed: it holds the webhook token and the template's secrets. */
  @Property({ type: 'json', nullable: true })
  contentSealed?: SealedSecret | null;

  /** The file in clear, for versions written before they were sealed; null since. */
  @Property({ type: 'text', nullable: true })
  content?: string | null;

  @Property({ type: 'string', length: 200 })
  author!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
