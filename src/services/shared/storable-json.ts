/**
 * PostgreSQL cannot store every string JavaScript can hold: text and jsonb refuse NUL, jsonb
 * refuses unpaired UTF-16 surrogates, and the embedded database's parser breaks on very deep
 * nesting. These helpers find such values (to refuse them with the field named) or repair them
 * (where refusing would lose what a sender cannot send differently, such as an alert).
 */

/** Deeper than this, nested JSON is not kept (PGlite's jsonb parser fails somewhere under 1,000 levels). */
export const MAX_JSON_DEPTH = 32;

const SUSPECT = /[\u0000\ud800-\udfff]/;
const UNPAIRED_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why a string cannot be stored as it is, or null when it can. */
export function unstorableText(text: string): string | null {
  if (!SUSPECT.test(text)) return null;
  if (text.includes('\u0000')) return 'contains a NUL character';
  if (UNPAIRED_SURROGATE.test(text)) return 'contains an unpaired UTF-16 surrogate (not valid Unicode)';
  return null;
}

/** The string with NUL characters and unpaired surrogates replaced by U+FFFD, as Go's JSON decoder does with invalid input. */
export function storableText(text: string): string {
  if (!SUSPECT.test(text)) return text;
  return text.replaceAll('\u0000', '\ufffd').replace(new RegExp(UNPAIRED_SURROGATE.source, 'g'), '\ufffd');
}

/** Where in a JSON value the first unstorable thing is, and what it is; null when the whole value can be stored. */
export function findUnstorable(value: unknown, path = '', depth = 0): { path: string; problem: string } | null {
  if (typeof value === 'string') {
    const problem = unstorableText(value);
    return problem ? { path, problem } : null;
  }
  if (value === null || typeof value !== 'object') return null;
  if (depth >= MAX_JSON_DEPTH) return { path, problem: `nested deeper than ${MAX_JSON_DEPTH} levels` };
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : path ? `${path}.${key}` : key;
    const keyProblem = unstorableText(key);
    if (keyProblem) return { path: childPath, problem: `its name ${keyProblem}` };
    const found = findUnstorable(child, childPath, depth + 1);
    if (found) return found;
  }
  return null;
}

/** What `repairJson` changed, for the answer to the sender and the logs. */
export interface JsonRepairs {
  /** At most `MAX_NOTES` notes, each naming a path. */
  notes: string[];
  count: number;
}

const MAX_NOTES = 20;

export function note(repairs: JsonRepairs, text: string): void {
  repairs.count += 1;
  if (repairs.notes.length < MAX_NOTES) repairs.notes.push(text);
}

/** A marker kept in place of nested JSON that is too deep to store. */
export const TOO_DEEP = `[removed by AlertAgent: nested deeper than ${MAX_JSON_DEPTH} levels]`;

/**
 * Makes parsed JSON storable in place: strings and names with NUL or unpaired surrogates get
 * U+FFFD, and containers nested too deep are replaced by a marker. Properties are redefined,
 * never assigned, so a key such as `__proto__` stays a plain property.
 */
export function repairJson(value: unknown, repairs: JsonRepairs, path = '', depth = 0): unknown {
  if (typeof value === 'string') {
    if (unstorableText(value) === null) return value;
    note(repairs, `${path || '(body)'}: NUL characters or unpaired surrogates replaced with U+FFFD`);
    return storableText(value);
  }
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_JSON_DEPTH) {
    note(repairs, `${path}: removed, nested deeper than ${MAX_JSON_DEPTH} levels`);
    return TOO_DEEP;
  }
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i += 1) value[i] = repairJson(value[i], repairs, `${path}[${i}]`, depth + 1);
    return value;
  }
  const object = value as Record<string, unknown>;
  for (const key of Object.keys(object)) {
    const childPath = path ? `${path}.${key}` : key;
    const current = object[key];
    const repaired = repairJson(current, repairs, childPath, depth + 1);
    const storableKey = storableText(key);
    if (storableKey === key && repaired === current) continue;
    if (storableKey !== key) {
      note(repairs, `${childPath}: NUL characters or unpaired surrogates in the name replaced with U+FFFD`);
      delete object[key];
    }
    defineField(object, storableKey, repaired);
  }
  return object;
}

/** Sets a property as a plain own property, whatever its name (`__proto__` included). */
export function defineField(object: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(object, key, { value, enumerable: true, writable: true, configurable: true });
}
