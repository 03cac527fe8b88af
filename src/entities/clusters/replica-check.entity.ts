import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** One health check of one Alertmanager replica; the history is pruned past its retention. */
@Entity({ tableName: 'replica_check' })
@Index({ properties: ['clusterId', 'checkedAt'] })
@Index({ properties: ['checkedAt'] })
export class ReplicaCheckEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid' })
  clusterId!: string;

  @Property({ type: 'string', length: 500 })
  url!: string;

  /** Healthy and ready. */
  @Property({ type: 'boolean' })
  up!: boolean;

  @Property({ type: 'double' })
  responseMs!: number;

  @Property({ type: 'string', length: 64, nullable: true })
  version?: string | null;

  /** Members of its gossip cluster, as the replica reports them. */
  @Property({ type: 'integer', nullable: true })
  peers?: number | null;

  @Property({ type: 'text', nullable: true })
  error?: string | null;

  @Property({ type: 'datetime' })
  checkedAt: Date = new Date();
}
