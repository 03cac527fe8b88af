/**
 * What counts as a secret when AlertAgent prints, logs or echoes settings: one rule for the
 * configuration, the CLI and error messages.
 */
const SENSITIVE_KEY = /secret|token|password|passwd|credential|private|apikey|api_key|encryptionkey|previousencryptionkeys/i;

export const HIDDEN = '[set]';

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/** A URL with its password and query values hidden; text that is not a URL with either comes back as it is. */
export function redactUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return text;
  }
  if (!url.password && !url.search) return text;
  if (url.password) url.password = '***';
  for (const key of [...url.searchParams.keys()]) url.searchParams.set(key, '***');
  return url.toString();
}

/** A copy of settings as they may be shown: sensitive keys hidden, credentials in URLs hidden. */
export function redactSettings<T>(settings: T): T {
  return JSON.parse(JSON.stringify(settings), (key: string, value: unknown) => {
    if (typeof value !== 'string') return value;
    if (isSensitiveKey(key)) return HIDDEN;
    return redactUrl(value);
  }) as T;
}
