import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageOf } from '../common/list.args';
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

export enum RuleGroupSortFieldName {
  NAME = 'name',
  CREATED_AT = 'createdAt',
  UPDATED_AT = 'updatedAt',
}
registerEnumType(RuleGroupSortFieldName, { name: 'RuleGroupSortField' });

@ObjectType('RuleGroupPage')
export class RuleGroupPageType extends PageOf(RuleGroupType) {}

@ObjectType('RuleGroupVersionPage')
export class RuleGroupVersionPageType extends PageOf(RuleGroupVersionType) {}
