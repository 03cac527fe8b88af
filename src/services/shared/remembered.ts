/**
 * A pure function of a string whose results are remembered, up to `limit` (then forgotten all at
 * once): for checks that inputs repeat, such as the expressions, regexes and templates of rule files.
 */
export function remembered<T>(compute: (text: string) => T, limit = 10_000): (text: string) => T {
  const results = new Map<string, T>();
  return (text) => {
    if (results.has(text)) return results.get(text)!;
    const result = compute(text);
    if (results.size >= limit) results.clear();
    results.set(text, result);
    return result;
  };
}
