import { onEvent } from '../graphql/topics';
import { Arg, Args, Authorized, Ctx, FieldResolver, ID, Int, Mutation, Query, Resolver, Root, Subscription } from 'type-graphql';
import { COST } from '../graphql/cost';
import { actorFrom, type GraphQLContext } from '../graphql/context';
import { AnalysesArgs, AnalysisEventArgs } from '../schema/analysis/analysis.args';
import { AnalysisEventType, AnalysisPageType, AnalysisTrendType, AnalysisType } from '../schema/analysis/analysis.type';
import { toPageRequest } from '../schema/common/page.args';
import { AlertRecordType } from '../schema/gateway/gateway.type';
import type { AnalysisService } from '../services/analysis/analysis.service';
import type { AnalysisEvent } from '../services/pubsub/event-map';
import { toAnalysisType } from './mappers/analysis.mapper';

/** AI analysis: runs, results, trends, feedback and the live stream. */
@Resolver(() => AlertRecordType)
export class AnalysisResolver {
  constructor(private readonly analysisService: AnalysisService) {}

  @Authorized('analysis:read')
  @Query(() => AnalysisPageType, { description: 'Analyses, newest first by default; filter by record, status or alert name' })
  async analyses(@Args() args: AnalysesArgs): Promise<AnalysisPageType> {
    const { recordId, status, alertname } = args;
    const { items, total } = await this.analysisService.list({ recordId, status, alertname }, toPageRequest(args));
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
    return this.analysisService.trends(alertname, days);
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
  @Subscription(
    () => AnalysisEventType,
    onEvent<'analysis.event', AnalysisEventArgs>('analysis.event', {
      filter: ({ payload, args }) =>
        (!args.recordId || payload.recordId === args.recordId) && (!args.alertname || payload.alertname === args.alertname),
      description: 'Analysis progress and results as they happen, on any replica',
    }),
  )
  analysisResults(@Root() event: AnalysisEvent, @Args() _args: AnalysisEventArgs): AnalysisEventType {
    return { ...event, at: new Date(event.at) };
  }
}
