import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

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

  @Property({ type: 'text' })
  content!: string;

  @Property({ type: 'string', length: 200 })
  author!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
