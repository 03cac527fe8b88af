import { Arg, Args, Authorized, Ctx, ID, Int, Mutation, Query, Resolver } from 'type-graphql';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { byField, pageOf } from '../schema/common/list.args';
import { SortOrder } from '../schema/common/enums';
import { CreateRuleGroupInput, ImportRuleFileInput, UpdateRuleGroupInput } from '../schema/rules/rule.input';
import { RuleGroupPageType, RuleGroupType, RuleGroupVersionPageType, RuleGroupVersionType } from '../schema/rules/rule.type';
import { RuleGroupsArgs, RuleGroupVersionsArgs } from '../schema/rules/rule.args';
import type { ClusterService } from '../services/clusters/cluster.service';
import type { RuleService } from '../services/rules/rule.service';
import { toRuleGroupType, toRuleVersionType } from './mappers/rule.mapper';

/** Prometheus rule groups: CRUD, import/export, versions, diff and rollback. */
@Resolver(() => RuleGroupType)
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
    return pageOf(groups.map(toRuleGroupType), args, (g) => g.name, byField(args.sortBy), withRule);
  }

  @Authorized('rules:read')
  @Query(() => RuleGroupType)
  async ruleGroup(@Arg('id', () => ID) id: string): Promise<RuleGroupType> {
    return toRuleGroupType(await this.rules.get(id));
  }

  @Authorized('rules:read')
  @Query(() => RuleGroupVersionPageType, {
    description: 'Versions of one group, newest first by default; search looks in the change message',
  })
  async ruleGroupVersions(@Args() args: RuleGroupVersionsArgs): Promise<RuleGroupVersionPageType> {
    const byAuthor = (v: RuleGroupVersionType) => !args.author || v.author === args.author;
    return pageOf(
      (await this.rules.versions(args.id)).map(toRuleVersionType),
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
    return this.rules.exportYaml(ids);
  }

  @Authorized('rules:write')
  @Mutation(() => RuleGroupType, { description: 'Validated as promtool would; refused with the reason when it conflicts on any target' })
  async createRuleGroup(@Arg('input') input: CreateRuleGroupInput, @Ctx() context: GraphQLContext): Promise<RuleGroupType> {
    return toRuleGroupType(await this.rules.create({ ...input }, actorFrom(context)));
  }

  @Authorized('rules:write')
  @Mutation(() => RuleGroupType)
  async updateRuleGroup(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: UpdateRuleGroupInput,
    @Ctx() context: GraphQLContext,
  ): Promise<RuleGroupType> {
    return toRuleGroupType(await this.rules.update(id, { ...input }, actorFrom(context)));
  }

  @Authorized('rules:write')
  @Mutation(() => RuleGroupType, { description: 'Writes a new version equal to the given one' })
  async rollbackRuleGroup(
    @Arg('id', () => ID) id: string,
    @Arg('version', () => Int) version: number,
    @Arg('message') message: string,
    @Ctx() context: GraphQLContext,
  ): Promise<RuleGroupType> {
    return toRuleGroupType(await this.rules.rollback(id, version, message, actorFrom(context)));
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
    return (await this.rules.importFile({ ...input }, actorFrom(context))).map(toRuleGroupType);
  }
}
