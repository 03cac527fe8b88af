import type { RuleGroupVersionEntity } from '../../entities/rules/rule-group-version.entity';
import type { RuleGroupEntity } from '../../entities/rules/rule-group.entity';
import type { RuleGroupType, RuleGroupVersionType } from '../../schema/rules/rule.type';
import { groupYaml } from '../../services/rules/rule.service';

/** Rule groups and their versions as GraphQL shows them. */

export function toRuleGroupType(group: RuleGroupEntity): RuleGroupType {
  const { definition } = group;
  return {
    id: group.id,
    name: group.name,
    interval: definition.interval ?? null,
    limit: definition.limit ?? null,
    rules: definition.rules.map((r) => ({ ...r, for: r.for ?? null, keepFiringFor: r.keepFiringFor ?? null })),
    targets: group.targets,
    version: group.version,
    yaml: groupYaml(definition),
    createdAt: group.createdAt,
    updatedAt: group.updatedAt,
  };
}

export const toRuleVersionType = (v: RuleGroupVersionEntity): RuleGroupVersionType => ({
  version: v.version,
  yaml: groupYaml(v.definition),
  targets: v.targets,
  author: v.author,
  message: v.message,
  createdAt: v.createdAt,
});
