import { GraphQLJSONObject } from 'graphql-scalars';
import { ArgsType, Field, Float, ID, InputType, Int, ObjectType, registerEnumType } from 'type-graphql';
import { ListArgs, PageOf } from '../common/list.args';
import { PageArgs } from '../common/page.args';

@ObjectType('AnalysisProvider', { description: 'An n8n workflow, a Dify app or an OpenAI-compatible model that analyses alerts' })
export class AnalysisProviderType {
  @Field(() => ID)
  id!: string;

  @Field()
  name!: string;

  @Field({ description: 'n8n, dify or openai' })
  type!: string;

  @Field(() => GraphQLJSONObject, { description: 'Settings without the secret' })
  config!: Record<string, unknown>;

  @Field({ description: 'Whether an API key or auth header value is stored (it is never returned)' })
  secretSet!: boolean;

  @Field(() => Int)
  rateLimitPerMinute!: number;

  @Field(() => Int)
  timeoutMs!: number;

  @Field()
  enabled!: boolean;
}

/** An analysis provider's optional fields (a base of the two inputs below; not in the schema itself). */
@InputType('AnalysisProviderFields')
export abstract class AnalysisProviderFields {
  @Field({ nullable: true, description: 'API key (Dify, OpenAI) or auth header value (n8n); omitted on update = unchanged, "" = removed' })
  secret?: string;

  @Field(() => Int, { nullable: true })
  rateLimitPerMinute?: number;

  @Field(() => Int, { nullable: true })
  timeoutMs?: number;

  @Field({ nullable: true })
  enabled?: boolean;
}

@InputType()
export class AnalysisProviderInput extends AnalysisProviderFields {
  @Field()
  name!: string;

  @Field({ description: 'n8n, dify or openai' })
  type!: string;

  @Field(() => GraphQLJSONObject, {
    description:
      'n8n: webhookUrl, authHeaderName, mode (respond|callback). dify: baseUrl, app (workflow|chat), responseMode (blocking|streaming), outputKey, user. openai: baseUrl, model, temperature, jsonMode',
  })
  config!: Record<string, unknown>;
}

@InputType({ description: 'Fields left out keep their value; null clears one that may be empty' })
export class AnalysisProviderUpdateInput extends AnalysisProviderFields {
  @Field({ nullable: true })
  name?: string;

  @Field({ nullable: true, description: 'n8n, dify or openai' })
  type?: string;

  @Field(() => GraphQLJSONObject, {
    nullable: true,
    description:
      'Settings to change: keys given replace the stored ones, keys left out are kept, null removes one, a masked secret sent back keeps it',
  })
  config?: Record<string, unknown>;
}

@ObjectType('Analysis', { description: 'One analysis of one alert record by one provider' })
export class AnalysisType {
  @Field(() => ID)
  id!: string;

  @Field(() => ID)
  recordId!: string;

  @Field(() => ID)
  providerId!: string;

  @Field()
  alertname!: string;

  @Field()
  fingerprint!: string;

  @Field({ description: 'queued, running, succeeded, failed or timed_out' })
  status!: string;

  @Field(() => Int)
  attempts!: number;

  @Field()
  queuedAt!: Date;

  @Field(() => Date, { nullable: true })
  startedAt!: Date | null;

  @Field(() => Date, { nullable: true })
  finishedAt!: Date | null;

  @Field(() => String, { nullable: true, description: 'Why the last try failed' })
  error!: string | null;

  @Field(() => Boolean, { nullable: true, description: 'The answer held a result that passed the schema; false = only rawAnswer' })
  parsed!: boolean | null;

  @Field(() => String, { nullable: true })
  parseError!: string | null;

  @Field(() => String, { nullable: true })
  rootCause!: string | null;

  @Field(() => Float, { nullable: true, description: '0 to 1' })
  confidence!: number | null;

  @Field(() => [String], { nullable: true })
  suggestedActions!: string[] | null;

  @Field(() => String, { nullable: true })
  severityAssessment!: string | null;

  @Field(() => String, { nullable: true, description: 'The kind of problem the analysis sees (database, network, disk …), lower case' })
  category!: string | null;

  @Field(() => String, {
    nullable: true,
    description: "The team the analysis suggests, from the teams named by routes' follow-ups, lower case",
  })
  suggestedTeam!: string | null;

  @Field(() => [ID], { nullable: true, description: 'Channels told as a follow-up of this analysis (flag routing.smart)' })
  followUpChannelIds!: string[] | null;

  @Field(() => String, { nullable: true })
  rawAnswer!: string | null;

  @Field(() => String, { nullable: true })
  model!: string | null;

  @Field(() => Int, { nullable: true })
  tokens!: number | null;

  @Field(() => Float, { nullable: true })
  durationMs!: number | null;

  @Field(() => String, { nullable: true, description: 'n8n execution, Dify workflow run or message id' })
  executionId!: string | null;

  @Field(() => String, { nullable: true })
  conversationId!: string | null;

  @Field(() => Boolean, { nullable: true })
  feedbackUseful!: boolean | null;

  @Field(() => String, { nullable: true })
  feedbackNote!: string | null;

  @Field(() => String, { nullable: true })
  feedbackBy!: string | null;

  @Field()
  createdAt!: Date;
}

@ObjectType('AnalysisPage')
export class AnalysisPageType {
  @Field(() => [AnalysisType])
  items!: AnalysisType[];

  @Field(() => Int)
  total!: number;
}

@ObjectType('AnalysisTrend', { description: 'Analyses of one alert name on one day' })
export class AnalysisTrendType {
  @Field()
  alertname!: string;

  @Field({ description: 'YYYY-MM-DD (UTC)' })
  day!: string;

  @Field(() => Int)
  analyses!: number;

  @Field(() => Float, { nullable: true })
  meanConfidence!: number | null;

  @Field(() => Int)
  useful!: number;

  @Field(() => Int)
  notUseful!: number;

  @Field(() => Float, { nullable: true, description: 'useful / (useful + not useful)' })
  feedbackScore!: number | null;
}

@ObjectType('AnalysisEvent', { description: 'An analysis moved' })
export class AnalysisEventType {
  @Field(() => ID)
  analysisId!: string;

  @Field(() => ID)
  recordId!: string;

  @Field(() => ID)
  providerId!: string;

  @Field()
  providerName!: string;

  @Field()
  alertname!: string;

  @Field()
  fingerprint!: string;

  @Field()
  status!: string;

  @Field(() => Int)
  attempts!: number;

  @Field(() => Boolean, { nullable: true })
  parsed!: boolean | null;

  @Field(() => String, { nullable: true })
  rootCause!: string | null;

  @Field(() => Float, { nullable: true })
  confidence!: number | null;

  @Field(() => String, { nullable: true })
  error!: string | null;

  @Field()
  at!: Date;
}

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

export enum AnalysisProviderSortFieldName {
  NAME = 'name',
  TYPE = 'type',
}
registerEnumType(AnalysisProviderSortFieldName, { name: 'AnalysisProviderSortField' });

@ArgsType()
export class AnalysisProvidersArgs extends ListArgs {
  @Field(() => String, { nullable: true, description: 'n8n, dify or openai' })
  type?: string | null;

  @Field(() => Boolean, { nullable: true })
  enabled?: boolean | null;

  @Field(() => AnalysisProviderSortFieldName, { defaultValue: AnalysisProviderSortFieldName.NAME })
  sortBy!: AnalysisProviderSortFieldName;
}

@ObjectType('AnalysisProviderPage')
export class AnalysisProviderPageType extends PageOf(AnalysisProviderType) {}
