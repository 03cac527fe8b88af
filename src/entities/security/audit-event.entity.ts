import { Entity, Index, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';

/** One administrative action: who did what to which record, and when. */
@Entity({ tableName: 'audit_event' })
@Index({ properties: ['createdAt'] })
export class AuditEventEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 200 })
  actor!: string;

  @Property({ type: 'string', length: 100 })
  action!: string;

  @Property({ type: 'string', length: 100 })
  targetType!: string;

  @Property({ type: 'string', length: 200, nullable: true })
  targetId?: string | null;

  @Property({ type: 'json' })
  details: Record<string, unknown> = {};

  @Property({ type: 'string', length: 100, nullable: true })
  requestId?: string | null;

  /** The permission the change was made under (e.g. channels:write). */
  @Property({ type: 'string', length: 100, nullable: true })
  permission?: string | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
