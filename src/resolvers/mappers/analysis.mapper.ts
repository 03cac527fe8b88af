import type { AlertAnalysisEntity } from '../../entities/analysis/alert-analysis.entity';
import type { AnalysisProviderEntity } from '../../entities/analysis/analysis-provider.entity';
import type { AnalysisProviderType, AnalysisType } from '../../schema/analysis/analysis.type';

/** Analyses and their providers as GraphQL shows them. */

export const toProviderType = (p: AnalysisProviderEntity, config: Record<string, unknown>): AnalysisProviderType => ({
  id: p.id,
  name: p.name,
  type: p.type,
  config,
  secretSet: Boolean(p.secret),
  rateLimitPerMinute: p.rateLimitPerMinute,
  timeoutMs: p.timeoutMs,
  enabled: p.enabled,
});

export const toAnalysisType = (a: AlertAnalysisEntity): AnalysisType => ({
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
