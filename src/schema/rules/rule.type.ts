import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ListArgs, PageOf } from '../common/list.args';
import { SyncInstanceType } from '../clusters/cluster.type';

@ObjectType('Rule', { description: 'An alerting or recording rule' })
export class RuleType {
  @Field({ description: 'alert or record' })
  kind!: string;

  @Field({ description: 'The alert name or the recorded metric name' })
  name!: string;

  @Field()
  expr!: string;

  @Field(() => String, { nullable: true })
  for!: string | null;

  @Field(() => String, { nullable: true })
  keepFiringFor!: string | null;

  @Field(() => GraphQLJSONObject)
  labels!: Record<string, string>;

  @Field(() => GraphQLJSONObject)
  annotations!: Record<string, string>;
}

@ObjectType('RuleGroup', { description: 'A Prometheus rule group, its targets and its newest version' })
export class RuleGroupType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field(() => String, { nullable: true })
  interval!: string | null;

  @Field(() => Int, { nullable: true })
  limit!: number | null;

  @Field(() => [RuleType])
  rules!: RuleType[];

  @Field(() => [String], { description: 'Matchers on cluster labels (and `cluster`, the name); empty = every cluster' })
  targets!: string[];

  @Field(() => Int)
  version!: number;

  @Field({ description: 'The group as YAML, as it appears in rule files' })
  yaml!: string;

  @Field()
  createdAt!: Date;

  @Field()
  updatedAt!: Date;
}

@ObjectType('RuleGroupVersion')
export class RuleGroupVersionType {
  @Field(() => Int)
  version!: number;

  @Field()
  yaml!: string;

  @Field(() => [String])
  targets!: string[];

  @Field()
  author!: string;

  @Field()
  message!: string;

  @Field()
  createdAt!: Date;
}

@ObjectType('ClusterRuleFile', { description: 'The rule file a cluster’s Prometheus sidecars apply' })
export class ClusterRuleFileType {
  @Field()
  content!: string;

  @Field()
  hash!: string;

  @Field(() => [String])
  groups!: string[];
}

@ObjectType('RuleSync', { description: 'The desired rule file against what each Prometheus sidecar applied' })
export class RuleSyncType {
  @Field()
  desiredHash!: string;

  @Field(() => [String])
  groups!: string[];

  @Field(() => [SyncInstanceType])
  instances!: SyncInstanceType[];
}

@InputType()
export class CreateRuleGroupInput {
  @Field({ description: 'One group in Prometheus rule-file YAML (name, interval, limit, rules), or a file with one group' })
  yaml!: string;

  @Field(() => [String], { nullable: true, description: 'Cluster label matchers, e.g. env="prod"; empty = every cluster' })
  targets?: string[];

  @Field({ description: 'What the change is for (kept with the version)' })
  message!: string;
}

@InputType()
export class UpdateRuleGroupInput {
  @Field({ nullable: true })
  yaml?: string;

  @Field(() => [String], { nullable: true })
  targets?: string[];

  @Field()
  message!: string;
}

@InputType()
export class ImportRuleFileInput {
  @Field({ description: 'A Prometheus rule file (many groups)' })
  yaml!: string;

  @Field(() => [String], { nullable: true })
  targets?: string[];

  @Field()
  message!: string;
}

export enum RuleGroupSortFieldName {
  NAME = 'name',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
registerEnumType(RuleGroupSortFieldName, { name: 'RuleGroupSortField' });

@ArgsType()
export class RuleGroupsArgs extends ListArgs {
  @Field(() => ID, { nullable: true, description: 'Groups that land on this cluster, including groups for every cluster' })
  clusterId?: string | null;

  @Field(() => String, { nullable: true, description: 'Groups with a rule of this alert or record name' })
  ruleName?: string | null;

  @Field(() => RuleGroupSortFieldName, { defaultValue: RuleGroupSortFieldName.NAME })
  sortBy!: RuleGroupSortFieldName;
}

@ObjectType('RuleGroupPage')
export class RuleGroupPageType extends PageOf(RuleGroupType) {}

@ArgsType()
export class RuleGroupVersionsArgs extends ListArgs {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Versions by this author' })
  author?: string | null;
}

@ObjectType('RuleGroupVersionPage')
export class RuleGroupVersionPageType extends PageOf(RuleGroupVersionType) {}
