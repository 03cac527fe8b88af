import { Entity, PrimaryKey, Property } from '@mikro-orm/core';

/** What one sidecar last reported: which config it applied and whether its last try failed. */
@Entity({ tableName: 'sync_status' })
export class SyncStatusEntity {
  @PrimaryKey({ type: 'uuid' })
  clusterId!: string;

  /** The sidecar's name for itself (by default the engine URL it manages). */
  @PrimaryKey({ type: 'string', length: 200 })
  instance!: string;

  @Property({ type: 'string', length: 16 })
  kind!: string;

  @Property({ type: 'string', length: 64, nullable: true })
  appliedHash?: string | null;

  @Property({ type: 'datetime', nullable: true })
  lastSuccessAt?: Date | null;

  @Property({ type: 'text', nullable: true })
  lastError?: string | null;

  @Property({ type: 'datetime', nullable: true })
  lastErrorAt?: Date | null;

  @Property({ type: 'datetime' })
  reportedAt: Date = new Date();
}
