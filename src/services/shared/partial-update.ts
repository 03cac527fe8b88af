/**
 * An update laid over what is stored, so an update names only what changes: a field it leaves
 * out (undefined) keeps its stored value; an explicit null is passed on, and the field's own
 * rules decide whether null clears it or is refused.
 */
export function overStored<T extends object>(stored: T, update: { [K in keyof T]?: T[K] | null }): T {
  const merged = { ...stored } as Record<string, unknown>;
  for (const [key, value] of Object.entries(update)) if (value !== undefined) merged[key] = value;
  return merged as T;
}
