/**
 * What counts as a secret when AlertAgent prints, logs, echoes or hands on data: one rule for the
 * configuration, the CLI, the logger and what the AI analysis is shown. Keys are matched by name
 * fragment (`webhookSecret`, `x-api-key`, `smtp_password`, `Authorization`), case-insensitively.
 * (Alertmanager's own list of secret fields is another matter: see clusters/config-secrets.)
 */
const SENSITIVE_KEY = /secret|token|passw(or)?d|passphrase|credential|private|api[-_]?key|encryptionkey|authorization|cookie|session/i;

export const HIDDEN = '[set]';

export function isSensitiveKey(key: string): boolean {
  return SENSITIVE_KEY.test(key);
}

/**
 * A copy of a log record's fields with the values of sensitive keys hidden, down to `depth`
 * levels; the record itself when nothing needs hiding (the usual case costs no copy).
 */
export function redactSensitiveFields(fields: Record<string, unknown>, depth = 3): Record<string, unknown> {
  let copy: Record<string, unknown> | null = null;
  for (const [key, value] of Object.entries(fields)) {
    let shown = value;
    if (value !== null && value !== undefined && isSensitiveKey(key) && typeof value !== 'number' && typeof value !== 'boolean')
      shown = HIDDEN;
    else if (depth > 1 && value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Error))
      shown = redactSensitiveFields(value as Record<string, unknown>, depth - 1);
    if (shown !== value) {
      copy ??= { ...fields };
      copy[key] = shown;
    }
  }
  return copy ?? fields;
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
