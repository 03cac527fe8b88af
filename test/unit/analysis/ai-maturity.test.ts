import { loadConfig } from '../../../src/config';
import { MaturityEvaluator } from '../../../src/services/analysis/maturity-evaluator';
import {
  judge,
  judgeFeature,
  nextFeatureBlocked,
  nextState,
  NO_RECORD,
  type MaturityThresholds,
  type ProviderRecord,
} from '../../../src/services/analysis/ai-maturity';

const T: MaturityThresholds = { minSamples: 10, minAccuracy: 0.6, maxFailureRate: 0.25, maxLatencyMs: 10_000, recoveryMargin: 0.1 };
const record = (fields: Partial<ProviderRecord>): ProviderRecord => ({
  ...NO_RECORD,
  finished: 20,
  succeeded: 20,
  p95LatencyMs: 1_000,
  ...fields,
});

describe('AI maturity rules', () => {
  it('says nothing on too little evidence: a new provider stays on probation', () => {
    const verdict = judge(record({ finished: 9, succeeded: 9, wrong: 9 }), T);
    expect(verdict.kind).toBe('too-few');
    expect(nextState('probation', verdict)).toBe('probation');
  });

  it('judges accuracy only with enough rated analyses, whatever else finished', () => {
    expect(judge(record({ useful: 0, wrong: 9 }), T).kind).toBe('healthy');
    const below = judge(record({ useful: 3, wrong: 7 }), T);
    expect(below).toEqual({ kind: 'below', reason: 'accuracy 30 % < 60 % over 10 rated analyses' });
  });

  it('degrades on failures, time-outs and unparsed answers together, and on slow answers', () => {
    expect(judge(record({ errors: 2, timeouts: 2, unparsed: 2 }), T).reason).toBe(
      'failure rate 30 % > 25 % over 20 analyses (2 errors, 2 time-outs, 2 unparsed)',
    );
    expect(judge(record({ p95LatencyMs: 12_000 }), T)).toEqual({ kind: 'below', reason: 'p95 latency 12000 ms > 10000 ms' });
  });

  it('keeps a degraded provider degraded until it is the margin inside every threshold', () => {
    const justAbove = judge(record({ useful: 13, wrong: 7 }), T); // 65 %: above 60 %, below 70 %
    expect(justAbove.kind).toBe('between');
    expect(nextState('degraded', justAbove)).toBe('degraded');
    expect(nextState('trusted', justAbove)).toBe('trusted');
    const recovered = judge(record({ useful: 14, wrong: 6 }), T); // 70 %
    expect(recovered.kind).toBe('healthy');
    expect(nextState('degraded', recovered)).toBe('trusted');
  });

  it('holds each threshold at its exact edge: 60 % is not below, 25 % failures is not above', () => {
    expect(judge(record({ useful: 6, wrong: 4 }), T).kind).toBe('between');
    expect(judge(record({ errors: 5 }), T).kind).toBe('between');
    expect(judge(record({ errors: 6 }), T).kind).toBe('below');
  });

  it('keeps a degraded provider degraded when its evidence ages out of the window', () => {
    expect(nextState('degraded', judge(record({ finished: 2, succeeded: 2 }), T))).toBe('degraded');
    expect(nextState('trusted', judge(record({ finished: 2, succeeded: 2 }), T))).toBe('trusted');
  });

  describe('per AI-driven feature', () => {
    const provider = (name: string, state: 'trusted' | 'degraded' | 'probation', fields: Partial<ProviderRecord>) => ({
      providerName: name,
      state,
      reason: 'accuracy 30 % < 60 % over 10 rated analyses',
      record: record(fields),
    });

    it('holds a feature off while any provider is degraded', () => {
      const verdict = judgeFeature([provider('a', 'trusted', { useful: 20 }), provider('b', 'degraded', { useful: 3, wrong: 7 })], null, T);
      expect(verdict).toEqual({
        blocked: true,
        healthy: false,
        reason: 'analysis provider b is degraded: accuracy 30 % < 60 % over 10 rated analyses',
      });
      expect(nextFeatureBlocked(false, verdict)).toBe(true);
    });

    it('holds a feature with its own minimum off while a trusted provider is below it, and lets it go only the margin above', () => {
      const below = judgeFeature([provider('llm', 'trusted', { useful: 16, wrong: 4 })], 0.9, T); // 80 %
      expect(below.reason).toBe("analysis provider llm's accuracy 80 % is below this feature's 90 % over 20 rated analyses");
      expect(nextFeatureBlocked(false, below)).toBe(true);
      // Without a minimum of its own, the same provider leaves the feature on.
      expect(judgeFeature([provider('llm', 'trusted', { useful: 16, wrong: 4 })], null, T).blocked).toBe(false);
      const justAbove = judgeFeature([provider('llm', 'trusted', { useful: 19, wrong: 1 })], 0.9, T); // 95 %, under 90 % + 10 %
      expect(justAbove.blocked).toBe(false);
      expect(nextFeatureBlocked(true, justAbove)).toBe(true);
      const clear = judgeFeature([provider('llm', 'trusted', { useful: 20, wrong: 0 })], 0.9, T);
      expect(nextFeatureBlocked(true, clear)).toBe(false);
    });
  });

  it('counts what followed a remediation as a rating of the analyses nobody rated', () => {
    // 4 useful, 6 whose remediation did not resolve the alert: 40 %.
    expect(judge(record({ useful: 4, unresolvedAfterAction: 6 }), T)).toEqual({
      kind: 'below',
      reason: 'accuracy 40 % < 60 % over 10 rated analyses',
    });
    expect(judge(record({ useful: 2, wrong: 1, resolvedAfterAction: 7 }), T).kind).toBe('healthy');
  });
});

describe('the maturity evaluator settings', () => {
  it('refuses a per-feature minimum for a flag that is not AI-driven, at start', () => {
    const settings = loadConfig({ env: { ANALYSIS_MATURITY_FEATURE_MIN_ACCURACY: 'gateway.grouping=0.9' } }).analysis;
    const make = () =>
      new MaturityEvaluator({
        orm: null as never,
        repository: null as never,
        overrides: null as never,
        events: null as never,
        metrics: null as never,
        settings,
        logger: { warn: () => {} } as never,
      });
    expect(make).toThrow(/gateway\.grouping is not an AI-driven flag \(analysis\.remediation, routing\.smart\)/);
  });
});
