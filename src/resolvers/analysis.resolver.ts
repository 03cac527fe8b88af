import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { ANALYSIS_STATUSES, type AlertAnalysisEntity, type AnalysisStatus } from '../entities/analysis/alert-analysis.entity';
import type { AnalysisProviderEntity } from '../entities/analysis/analysis-provider.entity';
import { BadUserInputError } from '../errors';
import { COST } from '../graphql/cost';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import {
  AnalysesArgs,
  AnalysisEventArgs,
  AnalysisEventType,
  AnalysisPageType,
  AnalysisProviderInput,
  AnalysisProviderUpdateInput,
  AnalysisProviderType,
  AnalysisTrendType,
  AnalysisType,
  AnalysisProviderPageType,
  AnalysisProvidersArgs,
} from '../schema/analysis/analysis.type';
import { byField, pageOf } from '../schema/common/list.args';
import { toPageRequest } from '../schema/common/page.args';
import { AlertRecordType } from '../schema/gateway/gateway.type';
import type { AnalysisService } from '../services/analysis/analysis.service';
import type { AnalysisProviderService, ProviderInput } from '../services/analysis/analysis-provider.service';
import type { AnalysisEvent } from '../services/pubsub/event-map';

const toProviderType = (p: AnalysisProviderEntity, config: Record<string, unknown>): AnalysisProviderType => ({
  id: p.id,
  name: p.name,
  type: p.type,
  config,
  secretSet: Boolean(p.secret),
  rateLimitPerMinute: p.rateLimitPerMinute,
  timeoutMs: p.timeoutMs,
  enabled: p.enabled,
});

const toAnalysisType = (a: AlertAnalysisEntity): AnalysisType => ({
  id: a.id,
  recordId: a.recordId,
  providerId: a.providerId,
  alertname: a.alertname,
  fingerprint: a.fingerprint,
  status: a.status,
  attempts: a.attempts,
  queuedAt: a.queuedAt,
  startedAt: a.startedAt ?? null,
  finishedAt: a.finishedAt ?? null,
  error: a.error ?? null,
  parsed: a.parsed ?? null,
  parseError: a.parseError ?? null,
  rootCause: a.rootCause ?? null,
  confidence: a.confidence ?? null,
  suggestedActions: a.suggestedActions ?? null,
  severityAssessment: a.severityAssessment ?? null,
  category: a.category ?? null,
  suggestedTeam: a.suggestedTeam ?? null,
  followUpChannelIds: a.followUpChannelIds ?? null,
  rawAnswer: a.rawAnswer ?? null,
  model: a.model ?? null,
  tokens: a.tokens ?? null,
  durationMs: a.durationMs ?? null,
  executionId: a.executionId ?? null,
  conversationId: a.conversationId ?? null,
  feedbackUseful: a.feedbackUseful ?? null,
  feedbackNote: a.feedbackNote ?? null,
  feedbackBy: a.feedbackBy ?? null,
  createdAt: a.createdAt,
});

function statusOf(text: string | undefined): AnalysisStatus | undefined {
  if (text === undefined) return undefined;
  if (!(ANALYSIS_STATUSES as readonly string[]).includes(text))
    throw BadUserInputError.forField('status', `expected one of ${ANALYSIS_STATUSES.join(', ')}`);
  return text as AnalysisStatus;
}

/** AI analysis: providers, runs, results, trends, feedback and the live stream. */
@Resolver(() => AlertRecordType)
export class AnalysisResolver {
  constructor(
    private readonly analysisService: AnalysisService,
    private readonly providers: AnalysisProviderService,
  ) {}

  @Authorized('analysis:read')
  @Query(() => AnalysisProviderPageType, { description: 'Analysis providers, filtered, sorted and paginated' })
  async analysisProviders(@Args() args: AnalysisProvidersArgs): Promise<AnalysisProviderPageType> {
    const providers = (await this.providers.list()).map((p) => toProviderType(p, this.providers.masked(p)));
    const keep = (p: AnalysisProviderType) => (!args.type || p.type === args.type) && (args.enabled == null || p.enabled === args.enabled);
    return pageOf(providers, args, (p) => p.name, byField(args.sortBy), keep);
  }

  @Authorized('analysis:admin')
  @Mutation(() => AnalysisProviderType)
  async createAnalysisProvider(@Arg('input') input: AnalysisProviderInput, @Ctx() context: GraphQLContext): Promise<AnalysisProviderType> {
    const provider = await this.providers.save(null, { ...input } as ProviderInput, actorFrom(context));
    return toProviderType(provider, this.providers.masked(provider));
  }

  @Authorized('analysis:admin')
  @Mutation(() => AnalysisProviderType, {
    description: 'Changes what it is given: fields and config keys left out are kept, and so is the secret',
  })
  async updateAnalysisProvider(
    @Arg('id', () => ID) id: string,
    @Arg('input') input: AnalysisProviderUpdateInput,
    @Ctx() context: GraphQLContext,
  ): Promise<AnalysisProviderType> {
    const provider = await this.providers.save(id, { ...input } as ProviderInput, actorFrom(context));
    return toProviderType(provider, this.providers.masked(provider));
  }

  @Authorized('analysis:admin')
  @Mutation(() => Boolean)
  async deleteAnalysisProvider(@Arg('id', () => ID) id: string, @Ctx() context: GraphQLContext): Promise<boolean> {
    await this.providers.remove(id, actorFrom(context));
    return true;
  }

  @Authorized('analysis:read')
  @Query(() => AnalysisPageType, { description: 'Analyses, newest first by default; filter by record, status or alert name' })
  async analyses(@Args() args: AnalysesArgs): Promise<AnalysisPageType> {
    const { items, total } = await this.analysisService.list(
      { recordId: args.recordId, status: statusOf(args.status), alertname: args.alertname },
      toPageRequest(args),
    );
    return { items: items.map(toAnalysisType), total };
  }

  @Authorized('analysis:read')
  @Query(() => AnalysisType)
  async analysis(@Arg('id', () => ID) id: string): Promise<AnalysisType> {
    return toAnalysisType(await this.analysisService.get(id));
  }

  @Authorized('analysis:read')
  @Query(() => [AnalysisTrendType], { description: 'Per alert name and day: count, mean confidence and feedback score' })
  async analysisTrends(
    @Arg('alertname', { nullable: true }) alertname?: string,
    @Arg('days', () => Int, { defaultValue: 30 }) days = 30,
  ): Promise<AnalysisTrendType[]> {
    if (days < 1 || days > 366) throw BadUserInputError.forField('days', 'expected 1 to 366');
    return (await this.analysisService.trends(alertname, days)).map((t) => ({
      ...t,
      feedbackScore: t.useful + t.notUseful > 0 ? t.useful / (t.useful + t.notUseful) : null,
    }));
  }

  @Authorized('analysis:read')
  @FieldResolver(() => [AnalysisType], { complexity: COST.RESOLVED_FIELD, name: 'analyses', description: 'Analyses of this alert' })
  async recordAnalyses(@Root() record: AlertRecordType): Promise<AnalysisType[]> {
    return (await this.analysisService.list({ recordId: record.id }, { limit: 20, offset: 0, order: 'desc' })).items.map(toAnalysisType);
  }

  @Authorized('analysis:write')
  @Mutation(() => AnalysisType, {
    description: 'Runs an analysis of this alert now (a new run if one exists); the result arrives through analysisResults',
  })
  async analyzeAlert(@Arg('recordId', () => ID) recordId: string, @Arg('providerId', () => ID) providerId: string): Promise<AnalysisType> {
    return toAnalysisType(await this.analysisService.analyze(recordId, providerId));
  }

  @Authorized('analysis:write')
  @Mutation(() => AnalysisType, { description: 'Another try of a failed or timed-out analysis' })
  async retryAnalysis(@Arg('id', () => ID) id: string): Promise<AnalysisType> {
    return toAnalysisType(await this.analysisService.retry(id));
  }

  @Authorized('analysis:write')
  @Mutation(() => AnalysisType, { description: 'Was it useful? The verdict and note go into later contexts and the maturity metrics' })
  async submitAnalysisFeedback(
    @Arg('id', () => ID) id: string,
    @Arg('useful') useful: boolean,
    @Arg('note', () => String, { nullable: true }) note: string | null,
    @Ctx() context: GraphQLContext,
  ): Promise<AnalysisType> {
    return toAnalysisType(await this.analysisService.feedback(id, { useful, note }, actorFrom(context)));
  }

  @Authorized('analysis:read')
  @Subscription(() => AnalysisEventType, {
    topics: 'analysis.event',
    filter: ({ payload, args }: { payload: AnalysisEvent; args: AnalysisEventArgs }) =>
      (!args.recordId || payload.recordId === args.recordId) && (!args.alertname || payload.alertname === args.alertname),
    description: 'Analysis progress and results as they happen, on any replica',
  })
  analysisResults(@Root() event: AnalysisEvent, @Args() _args: AnalysisEventArgs): AnalysisEventType {
    return { ...event, at: new Date(event.at) };
  }
}
