import { Arg, Authorized, Ctx, FieldResolver, ID, Query, Resolver, Root } from 'type-graphql';
import { COST } from '../graphql/cost';
import type { GraphQLContext } from '../graphql/context';
import { ClusterType } from '../schema/clusters/cluster.type';
import { ClusterRuleFileType, RuleGroupType, RuleSyncType } from '../schema/rules/rule.type';
import type { ClusterService } from '../services/clusters/cluster.service';
import type { RuleService } from '../services/rules/rule.service';
import { toSyncInstance } from './mappers/cluster.mapper';

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

/** A cluster's rule file: what it gets and how far its Prometheus sidecars applied it. */
@Resolver(() => ClusterType)
export class ClusterRulesResolver {
  constructor(
    private readonly rules: RuleService,
    private readonly clusters: ClusterService,
  ) {}

  @Authorized('rules:read')
  @Query(() => ClusterRuleFileType, { description: 'The rule file a cluster gets: every group that targets it' })
  async clusterRuleFile(@Arg('clusterId', () => ID) clusterId: string, @Ctx() context: GraphQLContext): Promise<ClusterRuleFileType> {
    return this.rules.ruleFileFor(await this.clusters.get(clusterId, context.principal));
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
