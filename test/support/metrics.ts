/**
 * The value of `name` in a Prometheus text exposition: its first series, or the first whose labels
 * include all of `labels`; null when absent.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text
    .split('\n')
    .find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && wanted.every((pair) => l.includes(pair)));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Scrapes `<baseUrl>/metrics` and reads one value of it. */
export async function scrapeMetric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  return metricValue(await (await fetch(`${baseUrl}/metrics`)).text(), name, labels);
}

/** Metric families a Prometheus text exposition declares (`# TYPE` lines), labelled or not, observed yet or not. */
export function declaredMetrics(text: string): Set<string> {
  return new Set([...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]!));
}

/**
 * The AlertAgent metric names a PromQL text uses, as families: `_bucket`, `_sum` and `_count` of
 * a histogram name the histogram.
 */
export function metricsInQuery(query: string, declared: Set<string>): string[] {
  return [...new Set([...query.matchAll(/\balertagent_[a-z0-9_]+/g)].map((m) => m[0]))].map((name) => {
    const family = name.replace(/_(bucket|sum|count)$/, '');
    return declared.has(name) ? name : family;
  });
}
