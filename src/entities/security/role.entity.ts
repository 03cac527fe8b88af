import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { LabelMatcher } from '../../domain/label-matcher';

/** A role an admin defined: permissions (`resource:action`) and, optionally, the scopes they apply in. */
@Entity({ tableName: 'role' })
export class RoleEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'string', length: 64, unique: true })
  name!: string;

  @Property({ type: 'text' })
  description: string = '';

  @Property({ type: 'json' })
  permissions: string[] = [];

  /** Channel groups (with their subgroups) the channel permissions apply to; null: every channel. */
  @Property({ type: 'json', nullable: true })
  channelGroups?: string[] | null;

  /** Matchers a cluster's labels must all meet for the cluster permissions to apply; null: every cluster. */
  @Property({ type: 'json', nullable: true })
  clusterMatchers?: LabelMatcher[] | null;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
