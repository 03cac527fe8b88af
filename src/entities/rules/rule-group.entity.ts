import { Entity, PrimaryKey, Property } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { RuleGroupDefinition } from '../../domain/rules';

/** A Prometheus rule group as it stands now (its newest version), and which clusters it targets. */
@Entity({ tableName: 'rule_group' })
export class RuleGroupEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  /** The group's name in rule files. Not unique: two groups may share a name if they never land on one cluster. */
  @Property({ type: 'string', length: 200, index: true })
  name!: string;

  @Property({ type: 'json' })
  definition!: RuleGroupDefinition;

  /** Label matchers on cluster labels (plus `cluster`, the cluster's name); empty = every cluster. */
  @Property({ type: 'json' })
  targets: string[] = [];

  @Property({ type: 'integer' })
  version: number = 1;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();

  @Property({ type: 'datetime' })
  updatedAt: Date = new Date();
}
