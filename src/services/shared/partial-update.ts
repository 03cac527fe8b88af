/**
 * An update laid over what is stored, so an update names only what changes: a field it leaves
 * out (undefined) keeps its stored value; an explicit null clears it — a list becomes empty,
 * anything else null, which the field's own rules accept where it may be empty and refuse where
 * it may not.
 */
export function overStored<T extends object>(stored: T, update: { [K in keyof T]?: T[K] | null }): T {
  const merged = { ...stored } as Record<string, unknown>;
  for (const [key, value] of Object.entries(update)) {
    if (value === undefined) continue;
    merged[key] = value === null && Array.isArray(merged[key]) ? [] : value;
  }
  return merged as T;
}
