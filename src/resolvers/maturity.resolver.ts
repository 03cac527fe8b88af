import { onEvent } from '../graphql/topics';
import { Authorized, Query, Resolver, Root, Subscription } from 'type-graphql';
import { AiMaturityChangeType, AiMaturityType, MaturityStateName } from '../schema/analysis/maturity.type';
import { accuracyOf, failureRateOf } from '../services/analysis/ai-maturity';
import type { MaturityEvaluator, ProviderMaturity } from '../services/analysis/maturity-evaluator';
import type { AiMaturityEvent } from '../services/pubsub/event-map';

const round = (x: number | null) => (x === null ? null : Math.round(x * 10_000) / 10_000);

function toMaturityType(m: ProviderMaturity): AiMaturityType {
  const { record } = m;
  return {
    providerId: m.providerId,
    providerName: m.providerName,
    state: m.state as MaturityStateName,
    since: m.since,
    reason: m.reason,
    evaluatedAt: m.evaluatedAt,
    finished: record.finished,
    useful: record.useful,
    wrong: record.wrong,
    errors: record.errors,
    timeouts: record.timeouts,
    unparsed: record.unparsed,
    resolvedAfterAction: record.resolvedAfterAction,
    unresolvedAfterAction: record.unresolvedAfterAction,
    accuracy: round(accuracyOf(record)),
    failureRate: round(failureRateOf(record)),
    p95LatencyMs: record.p95LatencyMs,
  };
}

/** AI maturity per analysis provider, and its changes live. */
@Resolver()
export class MaturityResolver {
  constructor(private readonly maturity: MaturityEvaluator) {}

  @Authorized('analysis:read')
  @Query(() => [AiMaturityType], { description: 'Each analysis provider as last evaluated: state, evidence and why' })
  async aiMaturity(): Promise<AiMaturityType[]> {
    return (await this.maturity.list()).map(toMaturityType);
  }

  @Authorized('analysis:read')
  @Subscription(
    () => AiMaturityChangeType,
    onEvent('ai.maturity', {
      description: 'Providers changing maturity state, once each, from any replica',
    }),
  )
  aiMaturityChanged(@Root() event: AiMaturityEvent): AiMaturityChangeType {
    return {
      ...event,
      state: event.state as MaturityStateName,
      previousState: event.previousState as MaturityStateName,
      at: new Date(event.at),
    };
  }
}
