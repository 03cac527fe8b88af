import { Entity, PrimaryKey, Property, Unique } from '@mikro-orm/core';
import { randomUUID } from 'node:crypto';
import type { RuleGroupDefinition } from '../../domain/rules';

/** Every change of a rule group, kept: what it was, where it went, who changed it and why. */
@Entity({ tableName: 'rule_group_version' })
@Unique({ properties: ['groupId', 'version'] })
export class RuleGroupVersionEntity {
  @PrimaryKey({ type: 'uuid' })
  id: string = randomUUID();

  @Property({ type: 'uuid', index: true })
  groupId!: string;

  @Property({ type: 'integer' })
  version!: number;

  @Property({ type: 'json' })
  definition!: RuleGroupDefinition;

  @Property({ type: 'json' })
  targets: string[] = [];

  @Property({ type: 'string', length: 200 })
  author!: string;

  @Property({ type: 'text' })
  message!: string;

  @Property({ type: 'datetime' })
  createdAt: Date = new Date();
}
