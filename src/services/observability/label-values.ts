/** What a label value becomes once its set is full, or when it is not one of a fixed set. */
export const OTHER = 'other';
const MAX_VALUE_LENGTH = 64;

/**
 * Keeps a metric label's values few, whatever arrives in alerts: a fixed set when one is given,
 * otherwise the first `max` distinct values; anything else is `other`. Values are cut to 64
 * characters. Without this, every new label value an alert carries would add series to an
 * unauthenticated /metrics for the life of the process.
 */
export class LabelValues {
  private readonly seen = new Set<string>();

  constructor(
    private readonly max: number,
    private readonly fixed: ReadonlySet<string> | null = null,
  ) {}

  of(value: string | undefined): string {
    const text = (value ?? '').slice(0, MAX_VALUE_LENGTH);
    if (text === '') return '';
    if (this.fixed) return this.fixed.has(text.toLowerCase()) ? text.toLowerCase() : OTHER;
    if (this.seen.has(text)) return text;
    if (this.seen.size >= this.max) return OTHER;
    this.seen.add(text);
    return text;
  }
}

/** Severities seen in the wild (Prometheus mixins, PagerDuty, Opsgenie); the rest count as `other`. */
export const SEVERITIES = new Set([
  'critical',
  'error',
  'warning',
  'warn',
  'info',
  'page',
  'high',
  'medium',
  'low',
  'none',
  'debug',
  'emergency',
  'major',
  'minor',
]);
