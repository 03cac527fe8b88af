import { isSensitiveKey } from '../../shared/sensitive';
import type { AlertAnalysisEntity } from '../../entities/analysis/alert-analysis.entity';
import type { AlertRecordEntity } from '../../entities/gateway/alert-record.entity';

/** What a provider is told about an alert. */
export interface AnalysisContext {
  alert: {
    alertname: string;
    status: string;
    severity: string | null;
    cluster: string | null;
    fingerprint: string;
    labels: Record<string, string>;
    annotations: Record<string, string>;
    startsAt: string;
    generatorURL: string | null;
  };
  /** Earlier notifications of this same alert (fingerprint), newest first. */
  history: Array<{ receivedAt: string; status: string; state: string }>;
  /** Recent alerts of the same name elsewhere (other fingerprints). */
  similar: Array<{ receivedAt: string; status: string; labels: Record<string, string> }>;
  /** Earlier analyses of this alert name and what people said about them. */
  previousAnalyses: Array<{
    rootCause: string | null;
    confidence: number | null;
    feedback: 'useful' | 'not useful' | null;
    note: string | null;
  }>;
  /** Teams that routes can tell as a follow-up (smart routing); the analysis may suggest one. */
  teams: string[];
  /** Remediation actions allowed for this alert (flag analysis.remediation); the analysis may propose one. */
  actions: Array<{ name: string; description: string }>;
}

const SECRET_VALUE: Array<[RegExp, string]> = [
  [/\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi, '$1 [redacted]'],
  [/(https?:\/\/)[^\s/:@]+:[^\s/@]+@/gi, '$1[redacted]@'],
  [/\b(aat|aaw|aas|sk|xox[abp]|ghp|glpat)[-_][A-Za-z0-9_-]{10,}/g, '[redacted]'],
  [/([?&](?:token|key|secret|password|access_token|sign)=)[^&\s]+/gi, '$1[redacted]'],
];

/** Removes what looks like a credential: values of secret-named keys and token-shaped strings anywhere. */
export function scrubSecrets<T>(value: T): T {
  if (typeof value === 'string')
    return SECRET_VALUE.reduce((text, [pattern, replacement]) => text.replace(pattern, replacement), value as string) as T;
  if (Array.isArray(value)) return value.map(scrubSecrets) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [k, isSensitiveKey(k) && typeof v === 'string' ? '[redacted]' : scrubSecrets(v)]),
    ) as T;
  }
  return value;
}

const truncate = (text: string, max: number) => (text.length > max ? `${text.slice(0, max)}…` : text);

/**
 * Builds the context of one alert: the alert itself, its recent history, similar alerts and
 * earlier analyses with their feedback; secrets scrubbed, and trimmed (oldest history first,
 * then long values) until it fits `maxBytes` as JSON.
 */
export function buildContext(
  record: AlertRecordEntity,
  related: { history: AlertRecordEntity[]; similar: AlertRecordEntity[]; analyses: AlertAnalysisEntity[] },
  maxBytes: number,
  offers: Partial<Pick<AnalysisContext, 'teams' | 'actions'>> = {},
): AnalysisContext {
  const context: AnalysisContext = scrubSecrets({
    alert: {
      alertname: record.alertname,
      status: record.status,
      severity: record.severity ?? null,
      cluster: record.cluster ?? null,
      fingerprint: record.fingerprint,
      labels: record.labels,
      annotations: record.annotations,
      startsAt: record.startsAt.toISOString(),
      generatorURL: record.generatorUrl ?? null,
    },
    history: related.history.map((r) => ({ receivedAt: r.receivedAt.toISOString(), status: r.status, state: r.state })),
    similar: related.similar.map((r) => ({ receivedAt: r.receivedAt.toISOString(), status: r.status, labels: r.labels })),
    previousAnalyses: related.analyses.map((a) => ({
      rootCause: a.rootCause ?? null,
      confidence: a.confidence ?? null,
      feedback: a.feedbackUseful === true ? ('useful' as const) : a.feedbackUseful === false ? ('not useful' as const) : null,
      note: a.feedbackNote ?? null,
    })),
    teams: offers.teams ?? [],
    actions: offers.actions ?? [],
  });
  const size = () => Buffer.byteLength(JSON.stringify(context));
  for (const list of [context.similar, context.history, context.previousAnalyses]) {
    while (size() > maxBytes && list.length > 0) list.pop();
  }
  if (size() > maxBytes) {
    const shorten = (map: Record<string, string>) => {
      for (const key of Object.keys(map)) map[key] = truncate(map[key], 256);
    };
    shorten(context.alert.annotations);
    shorten(context.alert.labels);
  }
  return context;
}

/** The instruction every provider gets with the context: answer with one JSON object of a fixed shape. */
export const ANALYSIS_INSTRUCTIONS = [
  'You are an SRE assistant. Analyse the Prometheus alert in the context below.',
  'Answer with one JSON object and nothing else, with these fields:',
  '"root_cause" (string: the most likely cause), "confidence" (number from 0 to 1),',
  '"suggested_actions" (array of short strings, most useful first), "severity_assessment" (one of "critical", "high", "medium", "low", "info"),',
  '"category" (one word for the kind of problem, e.g. "database", "network", "disk", "application", or null),',
  '"suggested_team" (the one of the context\'s "teams" best placed to act, or null when none is or the list is empty),',
  '"remediation" (the name of the one of the context\'s "actions" that would fix the cause, or null when none would or the list is empty).',
  'Use the history, similar alerts and earlier analyses (and the feedback on them) as evidence.',
].join('\n');

export function promptFor(context: AnalysisContext): string {
  return `${ANALYSIS_INSTRUCTIONS}\n\nContext:\n${JSON.stringify(context, null, 2)}`;
}
