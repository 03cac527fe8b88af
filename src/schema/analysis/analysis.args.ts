import { ArgsType, Field, ID } from 'type-graphql';
import { ListArgs } from '../common/list.args';
import { PageArgs } from '../common/page.args';
import { AnalysisProviderSortFieldName } from './analysis.type';

@ArgsType()
export class AnalysesArgs extends PageArgs {
  @Field(() => ID, { nullable: true })
  recordId?: string;

  @Field({ nullable: true, description: 'queued, running, succeeded, failed or timed_out' })
  status?: string;

  @Field({ nullable: true })
  alertname?: string;
}

@ArgsType()
export class AnalysisEventArgs {
  @Field(() => ID, { nullable: true })
  recordId?: string;

  @Field({ nullable: true })
  alertname?: string;
}

@ArgsType()
export class AnalysisProvidersArgs extends ListArgs {
  @Field(() => String, { nullable: true, description: 'n8n, dify or openai' })
  type?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => AnalysisProviderSortFieldName, { defaultValue: AnalysisProviderSortFieldName.NAME })
  sortBy!: AnalysisProviderSortFieldName;
}
