import type { Config } from '../../config';
import type { MaturityState, ProviderRecord } from '../../domain/ai-maturity';

export type { MaturityState, ProviderRecord } from '../../domain/ai-maturity';

export interface MaturityThresholds {
  minSamples: number;
  minAccuracy: number;
  maxFailureRate: number;
  maxLatencyMs: number;
  recoveryMargin: number;
}

export function thresholdsOf(settings: Config['analysis']): MaturityThresholds {
  return {
    minSamples: settings.maturityMinSamples,
    minAccuracy: settings.maturityMinAccuracy,
    maxFailureRate: settings.maturityMaxFailureRate,
    maxLatencyMs: settings.maturityMaxLatencyMs,
    recoveryMargin: settings.maturityRecoveryMargin,
  };
}

/** Analyses whose rightness is known: rated by people, or judged by what followed their remediation. */
export const ratedOf = (r: ProviderRecord): number => r.useful + r.wrong + r.resolvedAfterAction + r.unresolvedAfterAction;
export const accuracyOf = (r: ProviderRecord): number | null => (ratedOf(r) > 0 ? (r.useful + r.resolvedAfterAction) / ratedOf(r) : null);
export const failureRateOf = (r: ProviderRecord): number | null =>
  r.finished > 0 ? (r.errors + r.timeouts + r.unparsed) / r.finished : null;

/** Where the evidence stands: below a threshold, well inside all of them, or in between (or too little to say). */
export interface Verdict {
  kind: 'below' | 'healthy' | 'between' | 'too-few';
  /** Why, in words for the audit trail and the notice. */
  reason: string;
}

const pct = (x: number) => `${Math.round(x * 1000) / 10} %`;

/**
 * Judges a provider's record against the thresholds. Accuracy counts only with enough rated
 * analyses, the rest only with enough finished ones; recovery asks for every measure to be the
 * margin inside its threshold, so a provider near a line does not flap.
 */
export function judge(record: ProviderRecord, t: MaturityThresholds): Verdict {
  const rated = ratedOf(record);
  const accuracy = rated >= t.minSamples ? accuracyOf(record) : null;
  const failureRate = record.finished >= t.minSamples ? failureRateOf(record) : null;
  const latency = record.finished >= t.minSamples ? record.p95LatencyMs : null;
  const below: string[] = [];
  if (accuracy !== null && accuracy < t.minAccuracy)
    below.push(`accuracy ${pct(accuracy)} < ${pct(t.minAccuracy)} over ${rated} rated analyses`);
  if (failureRate !== null && failureRate > t.maxFailureRate)
    below.push(
      `failure rate ${pct(failureRate)} > ${pct(t.maxFailureRate)} over ${record.finished} analyses (${record.errors} errors, ${record.timeouts} time-outs, ${record.unparsed} unparsed)`,
    );
  if (latency !== null && latency > t.maxLatencyMs) below.push(`p95 latency ${Math.round(latency)} ms > ${t.maxLatencyMs} ms`);
  if (below.length > 0) return { kind: 'below', reason: below.join('; ') };
  if (record.finished < t.minSamples)
    return { kind: 'too-few', reason: `${record.finished} finished analyses, fewer than ${t.minSamples}` };
  const m = t.recoveryMargin;
  const healthy =
    (accuracy === null || accuracy >= Math.min(1, t.minAccuracy + m)) &&
    (failureRate === null || failureRate <= Math.max(0, t.maxFailureRate - m)) &&
    (latency === null || latency <= t.maxLatencyMs * (1 - m));
  const measures = [
    accuracy !== null ? `accuracy ${pct(accuracy)} over ${rated} rated` : `${rated} rated`,
    `failure rate ${pct(failureRate ?? 0)}`,
    latency !== null ? `p95 ${Math.round(latency)} ms` : null,
  ]
    .filter(Boolean)
    .join(', ');
  return { kind: healthy ? 'healthy' : 'between', reason: measures };
}

/**
 * The next state, with hysteresis: a provider is degraded as soon as it falls below a threshold,
 * and leaves degraded only once it is the margin inside all of them; trusted stays trusted in
 * between; probation is a provider with too little evidence either way.
 */
export function nextState(current: MaturityState, verdict: Verdict): MaturityState {
  if (verdict.kind === 'below') return 'degraded';
  if (current === 'degraded') return verdict.kind === 'healthy' ? 'trusted' : 'degraded';
  if (verdict.kind === 'healthy') return 'trusted';
  if (verdict.kind === 'too-few') return current === 'trusted' ? 'trusted' : 'probation';
  return current;
}

/** Where an AI-driven feature stands given every provider: held off, well clear of every line, or neither. */
export interface FeatureVerdict {
  blocked: boolean;
  healthy: boolean;
  reason: string;
}

/**
 * An AI-driven feature is held off while any provider is degraded, or while any provider with
 * enough ratings is less accurate than the feature's own minimum (when it sets one); it comes back
 * once no provider is degraded and each is the margin above that minimum.
 */
export function judgeFeature(
  providers: Array<{ providerName: string; state: MaturityState; reason: string; record: ProviderRecord }>,
  featureMinAccuracy: number | null,
  t: MaturityThresholds,
): FeatureVerdict {
  const rated = ratedOf;
  const degraded = providers.filter((p) => p.state === 'degraded');
  const weak =
    featureMinAccuracy === null
      ? []
      : providers.filter((p) => rated(p.record) >= t.minSamples && accuracyOf(p.record)! < featureMinAccuracy);
  const reasons = [
    ...degraded.map((p) => `analysis provider ${p.providerName} is degraded: ${p.reason}`),
    ...weak
      .filter((p) => p.state !== 'degraded')
      .map(
        (p) =>
          `analysis provider ${p.providerName}'s accuracy ${pct(accuracyOf(p.record)!)} is below this feature's ${pct(featureMinAccuracy!)} over ${rated(p.record)} rated analyses`,
      ),
  ];
  const clear = (p: { record: ProviderRecord }) =>
    featureMinAccuracy === null ||
    rated(p.record) < t.minSamples ||
    accuracyOf(p.record)! >= Math.min(1, featureMinAccuracy + t.recoveryMargin);
  return {
    blocked: reasons.length > 0,
    healthy: degraded.length === 0 && providers.every(clear),
    reason: reasons.length > 0 ? reasons.join('; ') : 'every analysis provider is clear of its thresholds',
  };
}

/** Held off as soon as blocked; back only once healthy (hysteresis, as for providers). */
export function nextFeatureBlocked(blocked: boolean, verdict: FeatureVerdict): boolean {
  return blocked ? !verdict.healthy : verdict.blocked;
}

/** The record of a provider that finished nothing in the window. */
export const NO_RECORD: ProviderRecord = {
  finished: 0,
  succeeded: 0,
  errors: 0,
  timeouts: 0,
  unparsed: 0,
  useful: 0,
  wrong: 0,
  resolvedAfterAction: 0,
  unresolvedAfterAction: 0,
  p95LatencyMs: null,
};
