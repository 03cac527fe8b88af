import { ArgsType, Field, ID } from 'type-graphql';
import { ListArgs } from '../common/list.args';
import { RuleGroupSortFieldName } from './rule.type';

@ArgsType()
export class RuleGroupsArgs extends ListArgs {
  @Field(() => ID, { nullable: true, description: 'Groups that land on this cluster, including groups for every cluster' })
  clusterId?: string | null;

  @Field(() => String, { nullable: true, description: 'Groups with a rule of this alert or record name' })
  ruleName?: string | null;

  @Field(() => RuleGroupSortFieldName, { defaultValue: RuleGroupSortFieldName.NAME })
  sortBy!: RuleGroupSortFieldName;
}

@ArgsType()
export class RuleGroupVersionsArgs extends ListArgs {
  @Field(() => ID)
  id!: string;

  @Field(() => String, { nullable: true, description: 'Versions by this author' })
  author?: string | null;
}
