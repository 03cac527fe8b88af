import { GraphQLJSONObject } from 'graphql-scalars';
import { Field, Float, ID, Int, ObjectType, registerEnumType } from 'type-graphql';
import { PageOf } from '../common/list.args';

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

export enum AnalysisProviderSortFieldName {
  NAME = 'name',
  TYPE = 'type',
}
registerEnumType(AnalysisProviderSortFieldName, { name: 'AnalysisProviderSortField' });

@ObjectType('AnalysisProviderPage')
export class AnalysisProviderPageType extends PageOf(AnalysisProviderType) {}
