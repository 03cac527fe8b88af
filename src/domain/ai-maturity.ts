export type MaturityState = 'trusted' | 'probation' | 'degraded';

/** What a provider did over the window: the evidence it is judged on. */
export interface ProviderRecord {
  finished: number;
  succeeded: number;
  errors: number;
  timeouts: number;
  unparsed: number;
  useful: number;
  wrong: number;
  /**
   * Outcomes of analyses nobody rated whose proposed remediation ran: the alert resolved within
   * the resolution window after it (counted as right), or did not (counted as wrong).
   */
  resolvedAfterAction: number;
  unresolvedAfterAction: number;
  /** 95th percentile of answer times, ms; null without answers. */
  p95LatencyMs: number | null;
}
