/** The value of `name` in a Prometheus text exposition (its first series, whatever its labels); null when absent. */
export function metricValue(text: string, name: string): number | null {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `) || l.startsWith(`${name}{`));
  return line === undefined ? null : Number(line.slice(line.lastIndexOf(' ') + 1));
}

/** Scrapes `<baseUrl>/metrics` and reads one value of it. */
export async function scrapeMetric(baseUrl: string, name: string): Promise<number | null> {
  return metricValue(await (await fetch(`${baseUrl}/metrics`)).text(), name);
}
