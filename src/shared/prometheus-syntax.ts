/** Names and durations as Prometheus and Alertmanager spell them (the Prometheus data model). */

/** Label names (and annotation names). */
export const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
/** Metric names, e.g. the name a recording rule writes. */
export const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;

// Prometheus' duration syntax (model.ParseDuration): units in descending order, whole numbers only.
const DURATION = /^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$/;
const DURATION_UNITS_MS = [365 * 86_400_000, 7 * 86_400_000, 86_400_000, 3_600_000, 60_000, 1_000, 1];

/** Milliseconds of a Prometheus duration ("1h30m", "0"), or null when it is not one. */
export function parseDuration(text: string): number | null {
  if (text === '0') return 0;
  const match = text === '' ? null : DURATION.exec(text);
  if (!match) return null;
  return DURATION_UNITS_MS.reduce((total, unit, i) => total + Number(match[i + 1] ?? 0) * unit, 0);
}
