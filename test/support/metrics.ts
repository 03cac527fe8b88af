/**
 * The value of `name` in a Prometheus text exposition: its first series, or the first whose labels
 * include all of `labels`; null when absent.
 */
export function metricValue(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const wanted = Object.entries(labels).map(([key, value]) => `${key}="${value}"`);
  const line = text.split('\n').find((l) => (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) && wanted.every((pair) => l.includes(pair)));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Scrapes `<baseUrl>/metrics` and reads one value of it. */
export async function scrapeMetric(baseUrl: string, name: string, labels: Record<string, string> = {}): Promise<number | null> {
  return metricValue(await (await fetch(`${baseUrl}/metrics`)).text(), name, labels);
}
