import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root } from 'type-graphql';
import { stringify } from 'yaml';
import type { RuleGroupVersionEntity } from '../entities/rules/rule-group-version.entity';
import type { RuleGroupEntity } from '../entities/rules/rule-group.entity';
import { COST } from '../graphql/cost';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { ClusterType } from '../schema/clusters/cluster.type';
import { byField, pageOf } from '../schema/common/list.args';
import { SortOrder } from '../schema/common/enums';
import {
  ClusterRuleFileType,
  CreateRuleGroupInput,
  ImportRuleFileInput,
  RuleGroupPageType,
  RuleGroupsArgs,
  RuleGroupType,
  RuleGroupVersionPageType,
  RuleGroupVersionsArgs,
  RuleGroupVersionType,
  RuleSyncType,
  UpdateRuleGroupInput,
} from '../schema/rules/rule.type';
import type { ClusterService } from '../services/clusters/cluster.service';
import { ruleGroupsToYaml } from '../services/rules/rule-file';
import { groupYaml, type RuleService } from '../services/rules/rule.service';
import { toSyncInstance } from './cluster.resolver';

function toGroupType(group: RuleGroupEntity): RuleGroupType {
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

const toVersionType = (v: RuleGroupVersionEntity): RuleGroupVersionType => ({
  version: v.version,
  yaml: groupYaml(v.definition),
  targets: v.targets,
  author: v.author,
  message: v.message,
  createdAt: v.createdAt,
});

/** Fields of a rule group that read more than the group itself. */
@Resolver(() => RuleGroupType)
export class RuleGroupFieldsResolver {
  constructor(private readonly rules: RuleService) {}

  @Authorized('rules:read')
  @FieldResolver(() => [String], {
    complexity: COST.RESOLVED_FIELD,
    description:
      'What promtool only lints, accepted and reported: the same rule twice where this group lands (on each cluster it lands on, or on any while none exists)',
  })
  async warnings(@Root() group: RuleGroupType): Promise<string[]> {
    return this.rules.warningsFor(group.id);
  }
}

/** Prometheus rule groups: CRUD, import/export, versions, diff, rollback, and per-cluster distribution. */
@Resolver(() => ClusterType)
export class RuleResolver {
  constructor(
    private readonly rules: RuleService,
    private readonly clusters: ClusterService,
  ) {}

  @Authorized('rules:read')
  @Query(() => RuleGroupPageType, { description: 'Rule groups, filtered, sorted and paginated' })
  async ruleGroups(@Args() args: RuleGroupsArgs, @Ctx() context: GraphQLContext): Promise<RuleGroupPageType> {
    const groups = args.clusterId
      ? await this.rules.listFor(await this.clusters.get(args.clusterId, context.principal))
      : await this.rules.list();
    const withRule = (g: RuleGroupType) => !args.ruleName || g.rules.some((r) => r.name === args.ruleName);
    return pageOf(groups.map(toGroupType), args, (g) => g.name, byField(args.sortBy), withRule);
  }

  @Authorized('rules:read')
  @Query(() => RuleGroupType)
  async ruleGroup(@Arg('id', () => ID) id: string): Promise<RuleGroupType> {
    return toGroupType(await this.rules.get(id));
  }

  @Authorized('rules:read')
  @Query(() => RuleGroupVersionPageType, {
    description: 'Versions of one group, newest first by default; search looks in the change message',
  })
  async ruleGroupVersions(@Args() args: RuleGroupVersionsArgs): Promise<RuleGroupVersionPageType> {
    const byAuthor = (v: RuleGroupVersionType) => !args.author || v.author === args.author;
    return pageOf(
      (await this.rules.versions(args.id)).map(toVersionType),
      args,
      (v) => v.message,
      { value: (v) => v.version, defaultOrder: SortOrder.DESC },
      byAuthor,
    );
  }

  @Authorized('rules:read')
  @Query(() => String, { description: 'Unified diff between two versions of a group' })
  async ruleGroupDiff(
    @Arg('id', () => ID) id: string,
    @Arg('from', () => Int) from: number,
    @Arg('to', () => Int) to: number,
  ): Promise<string> {
    return this.rules.diff(id, from, to);
  }

  @Authorized('rules:read')
  @Query(() => String, { description: 'Groups as one Prometheus rule file (all groups when no ids are given)' })
  async exportRuleGroups(@Arg('ids', () => [ID], { nullable: true }) ids?: string[]): Promise<string> {
    const groups = ids ? await Promise.all(ids.map((id) => this.rules.get(id))) : await this.rules.list();
    return stringify(ruleGroupsToYaml(groups.map((g) => g.definition)), { lineWidth: 0 });
  }

  @Authorized('rules:read')
  @Query(() => ClusterRuleFileType, { description: 'The rule file a cluster gets: every group that targets it' })
  async clusterRuleFile(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<ClusterRuleFileType> {
    return this.rules.ruleFileFor(await this.clusters.get(clusterId, context.principal));
  }

  @Authorized('rules:write')
  @Mutation(() => RuleGroupType, { description: 'Validated as promtool would; refused with the reason when it conflicts on any target' })
  async createRuleGroup(@Arg('input') input: CreateRuleGroupInput, @Ctx() context: GraphQLContext): Promise<RuleGroupType> {
    return toGroupType(await this.rules.create({ ...input }, actorFrom(context)));
  }

  @Authorized('rules:write')
  @Mutation(() => RuleGroupType)
  async updateRuleGroup(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateRuleGroupInput,
    @Ctx() context: GraphQLContext,
  ): Promise<RuleGroupType> {
    return toGroupType(await this.rules.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('rules:write')
  @Mutation(() => RuleGroupType, { description: 'Writes a new version equal to the given one' })
  async rollbackRuleGroup(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('message') message: string,
    @Ctx() context: GraphQLContext,
  ): Promise<RuleGroupType> {
    return toGroupType(await this.rules.rollback(id, version, message, actorFrom(context)));
  }

  @Authorized('rules:write')
  @Mutation(() => Boolean)
  async deleteRuleGroup(
    @Arg('id', () => ID) id: string,
    @Arg('message') message: string,
    @Ctx() context: GraphQLContext,
  ): Promise<boolean> {
    await this.rules.remove(id, message, actorFrom(context));
    return true;
  }

  @Authorized('rules:write')
  @Mutation(() => [RuleGroupType], {
    description: 'Every group of a rule file: updates the group of the same name and targets, or creates it; all or nothing',
  })
  async importRuleFile(@Arg('input') input: ImportRuleFileInput, @Ctx() context: GraphQLContext): Promise<RuleGroupType[]> {
    return (await this.rules.importFile({ ...input }, actorFrom(context))).map(toGroupType);
  }

  @Authorized('rules:read')
  @FieldResolver(() => RuleSyncType, {
    complexity: COST.RESOLVED_FIELD,
    description: 'The rule file: desired against what each Prometheus sidecar applied',
  })
  async ruleSync(@Root() cluster: ClusterType): Promise<RuleSyncType> {
    const file = await this.rules.ruleFileFor(cluster);
    const instances = await this.clusters.syncStatuses(cluster.id, 'prometheus');
    return { desiredHash: file.hash, groups: file.groups, instances: instances.map((s) => toSyncInstance(s, file.hash)) };
  }
}
