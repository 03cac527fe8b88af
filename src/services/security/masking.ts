/** What a secret looks like in an answer. */
export const MASK = '••••••';

/** True for a value a client read back masked and sent again unchanged: the stored secret is kept. */
export function isMasked(value: unknown): boolean {
  return typeof value === 'string' && value.includes(MASK);
}

/** Enough of a secret URL to recognise it (scheme and host), never the token in its path, query or user part. */
export function maskValue(value: unknown): unknown {
  if (typeof value === 'string' && /^https?:\/\//i.test(value)) {
    try {
      const url = new URL(value);
      return `${url.protocol}//${url.host}/${MASK}`;
    } catch {
      return MASK;
    }
  }
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    return Object.fromEntries(Object.keys(value).map((k) => [k, MASK]));
  }
  return MASK;
}
