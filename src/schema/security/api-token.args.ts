import { ArgsType, Field } from 'type-graphql';
import { ListArgs } from '../common/list.args';
import { ApiTokenSortFieldName } from './api-token.type';

@ArgsType()
export class ApiTokensArgs extends ListArgs {
  @Field({ defaultValue: false, description: 'Include revoked tokens' })
  includeRevoked!: boolean;

  @Field(() => String, { nullable: true, description: 'Tokens holding this role (built in or defined)' })
  role?: string | null;

  @Field(() => ApiTokenSortFieldName, { defaultValue: ApiTokenSortFieldName.CREATED_AT })
  sortBy!: ApiTokenSortFieldName;
}
