import type { AnalysisRepository } from './analysis.repository';
import type { AlertAnalysisEntity } from '../../entities/analysis/alert-analysis.entity';
import type { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';
import { NotFoundError } from '../../errors';
import type { DeliveryService } from '../channels/delivery.service';
import type { ChannelMessage } from '../channels/message';
import { recordMessage } from '../channels/record-message';
import { alertFlagContext, type FlagResolver } from '../flags/flag-resolver';
import type { Logger } from '../../shared/logger';
import { decideRoutes, type FollowUpRule, type RoutingTable } from '../gateway/route-table';
import type { AnalysisConsumer } from './analysis-runner';

/** The routing table in force, as the route service keeps it. */
export interface RoutingTableSource {
  current(): RoutingTable;
}

/** The follow-up rules of the routes that send this alert to this provider. */
function rulesFor(
  table: RoutingTable,
  labels: Record<string, string>,
  providerId: string,
): { rules: FollowUpRule[]; notified: Set<string> } {
  const decision = decideRoutes(table, labels);
  return {
    rules: decision.routes.filter((r) => r.analysisProviderId === providerId).flatMap((r) => r.followUps),
    notified: new Set(decision.channelIds),
  };
}

/** Whether a rule's team or category is what the analysis says, with enough confidence. */
export function ruleMatches(rule: FollowUpRule, analysis: Pick<AlertAnalysisEntity, 'confidence' | 'suggestedTeam' | 'category'>): boolean {
  if (analysis.confidence == null || analysis.confidence < rule.minConfidence) return false;
  return (rule.team !== null && rule.team === analysis.suggestedTeam) || (rule.category !== null && rule.category === analysis.category);
}

export interface SmartRouterDeps {
  /** Where the follow-ups told are written, on the run that named them. */
  analyses: Pick<AnalysisRepository, 'flush'>;
  routes: RoutingTableSource;
  deliveries: Pick<DeliveryService, 'deliver'>;
  flags: FlagResolver;
  logger: Logger;
}

/**
 * Smart routing (flag routing.smart): once an analysis names a team or a category with enough
 * confidence, the follow-ups of the alert's routes tell those channels too, with the analysis.
 * It comes after the first notice (which never waits for analysis) and only adds channels the
 * routes did not already send the alert to.
 */
export class SmartRouter implements AnalysisConsumer {
  constructor(private readonly deps: SmartRouterDeps) {}

  /** The teams the analysis may suggest. */
  offer(_record: AlertRecordEntity, providerId: string): { teams: string[] } {
    return { teams: this.teamsFor(providerId) };
  }

  act(analysis: AlertAnalysisEntity, record: AlertRecordEntity): Promise<string[]> {
    return this.followUp(analysis, record);
  }

  /** Teams the routes sending to this provider can tell: the analysis may suggest one of them. */
  teamsFor(providerId: string): string[] {
    const teams = this.deps.routes
      .current()
      .routes.concat(this.deps.routes.current().fallback ?? [])
      .filter((r) => r.analysisProviderId === providerId)
      .flatMap((r) => r.followUps.map((f) => f.team))
      .filter((t): t is string => t !== null);
    return [...new Set(teams)].sort();
  }

  /** After an analysis succeeded: tells the follow-up channels it calls for, once each. */
  async followUp(analysis: AlertAnalysisEntity, record: AlertRecordEntity): Promise<string[]> {
    if (!analysis.parsed || !this.deps.flags.isEnabled('routing.smart', alertFlagContext(record.cluster, record.labels))) return [];
    const { rules, notified } = rulesFor(this.deps.routes.current(), record.labels, analysis.providerId);
    const channels = [...new Set(rules.filter((rule) => ruleMatches(rule, analysis)).flatMap((rule) => rule.channelIds))].filter(
      (id) => !notified.has(id),
    );
    if (channels.length === 0) return [];
    const message = followUpMessage(analysis, record);
    const told: string[] = [];
    for (const channelId of channels) {
      try {
        await this.deps.deliveries.deliver(channelId, message, {
          source: 'smart-routing',
          idempotencyKey: `follow-up:${analysis.id}:${channelId}`,
        });
        told.push(channelId);
      } catch (err) {
        if (!(err instanceof NotFoundError))
          this.deps.logger.warn({ err, analysisId: analysis.id, channelId }, 'could not hand a follow-up to delivery');
      }
    }
    analysis.followUpChannelIds = told;
    await this.deps.analyses.flush();
    return told;
  }
}

/** The alert as first sent, with what the analysis found and why this channel is told. */
function followUpMessage(analysis: AlertAnalysisEntity, record: AlertRecordEntity): ChannelMessage {
  const who = analysis.suggestedTeam ? `team ${analysis.suggestedTeam}` : `category ${analysis.category}`;
  return recordMessage(
    record,
    {
      follow_up: `AlertAgent analysis points to ${who} (confidence ${analysis.confidence!.toFixed(2)})`,
      analysis_root_cause: analysis.rootCause ?? '',
      ...(analysis.suggestedActions?.length ? { analysis_suggested_actions: analysis.suggestedActions.join('; ') } : {}),
    },
    'alertagent-smart-routing',
  );
}
