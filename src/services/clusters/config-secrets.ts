import { isMap, isScalar, isSeq, parse, parseDocument, type Node } from 'yaml';
import { BadUserInputError } from '../../errors';
import { isMasked, MASK, maskValue } from '../security/masking';

/**
 * Keys whose values Alertmanager treats as secrets (its `Secret` and `SecretURL` fields: SMTP and
 * HTTP passwords, API keys and tokens, routing and service keys, webhook and API URLs that carry
 * tokens). Paths to files (`*_file`) are not secrets.
 */
const SECRET_KEY = /password|secret|token|credentials|(^|_)key$|(^|_)url$/i;
const FILE_KEY = /_file$/i;
const URL_WITH_USER = /\b([a-z][a-z0-9+.-]*:\/\/)[^/\s:@]+:[^/\s@]+@/i;

function isSecretKey(key: unknown): boolean {
  return typeof key === 'string' && SECRET_KEY.test(key) && !FILE_KEY.test(key);
}

type Visit = (node: Node, path: Array<string | number>, key: unknown) => void;

/** Visits every scalar of a YAML document with its path (map keys and sequence indexes) and the key it is the value of. */
function walk(node: unknown, path: Array<string | number>, key: unknown, visit: Visit): void {
  if (isMap(node)) {
    for (const pair of node.items) {
      const name = isScalar(pair.key) ? pair.key.value : pair.key;
      walk(pair.value, [...path, String(name)], name, visit);
    }
  } else if (isSeq(node)) {
    node.items.forEach((item, i) => walk(item, [...path, i], key, visit));
  } else if (isScalar(node)) {
    visit(node, path, key);
  }
}

/**
 * An Alertmanager config (or the user's part of it) as it may be shown: values under secret keys
 * masked, passwords inside any URL masked; comments and layout kept. Text that is not YAML is
 * masked whole rather than shown. Values listed in `visible` are public already (the cluster's
 * own webhook URL) and stay.
 */
export function maskConfigSecrets(yaml: string, visible: readonly string[] = []): string {
  if (!yaml.includes(':')) return yaml;
  const doc = parseDocument(yaml, { uniqueKeys: false });
  if (doc.errors.length > 0) return MASK;
  walk(doc.contents, [], undefined, (node, _path, key) => {
    if (!isScalar(node) || typeof node.value !== 'string' || node.value === '' || visible.includes(node.value)) return;
    if (isSecretKey(key)) node.value = maskValue(node.value);
    else if (URL_WITH_USER.test(node.value)) node.value = node.value.replace(new RegExp(URL_WITH_USER.source, 'gi'), `$1${MASK}@`);
  });
  return doc.toString();
}

function valueAt(tree: unknown, path: Array<string | number>): unknown {
  let node = tree;
  for (const step of path) node = node !== null && typeof node === 'object' ? (node as Record<string | number, unknown>)[step] : undefined;
  return node;
}

/**
 * The new text with every masked value a client sent back (as it read it) replaced by the value
 * stored at the same place, so reading, editing and saving a template never loses its secrets.
 * A masked value with nothing stored at its place is refused, naming where it is.
 */
export function restoreMaskedSecrets(next: string, stored: string, field: string): string {
  if (!next.includes(MASK)) return next;
  const doc = parseDocument(next, { uniqueKeys: false });
  if (doc.errors.length > 0) return next;
  let previous: unknown;
  try {
    previous = parse(stored);
  } catch {
    previous = undefined;
  }
  walk(doc.contents, [], undefined, (node, path) => {
    if (!isScalar(node) || !isMasked(node.value)) return;
    const kept = valueAt(previous, path);
    if (typeof kept !== 'string') {
      throw BadUserInputError.forField(
        field,
        `${path.join('.')}: holds a masked secret (${MASK}) but nothing is stored at that place to keep; write the secret itself`,
      );
    }
    node.value = kept;
  });
  return doc.toString();
}
