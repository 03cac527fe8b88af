import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Document, type Node as YamlNode, type Pair, type YAMLMap } from 'yaml';
import { LABEL_NAME, METRIC_NAME, parseDuration } from '../shared/prometheus-syntax';
import { checkGoTemplate } from './go-template-check';
import { checkPromQL } from './promql-check';

export interface RuleDefinition {
  kind: 'alert' | 'record';
  name: string;
  expr: string;
  for?: string;
  keepFiringFor?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

export interface RuleGroupDefinition {
  name: string;
  interval?: string;
  limit?: number;
  rules: RuleDefinition[];
}

/** One problem, where it is: the file position, and the group and rule when it concerns one. */
export interface RuleProblem {
  line: number;
  column: number;
  group?: string;
  /** 1-based, as promtool counts. */
  rule?: number;
  ruleName?: string;
  message: string;
}

const GROUP_KEYS = new Set(['name', 'interval', 'limit', 'rules']);
const RULE_KEYS = new Set(['record', 'alert', 'expr', 'for', 'keep_firing_for', 'labels', 'annotations']);

/**
 * Judges a Prometheus rule file as `promtool check rules` (Prometheus 2.42) does: YAML shape with
 * strict fields, group names, `alert` xor `record`, expressions (PromQL syntax and types),
 * recording rule names, durations, label and annotation names, and alert templates. Returns the
 * groups it could read and every problem found.
 */
export function checkRuleFile(input: string | Uint8Array): { groups: RuleGroupDefinition[]; problems: RuleProblem[] } {
  const lines = new LineCounter();
  const decoded = typeof input === 'string' ? { text: input } : decodeUtf8(input);
  if ('error' in decoded) return { groups: [], problems: [{ line: 0, column: 0, message: decoded.error }] };
  const { text } = decoded;
  try {
    return checkDocuments(text, lines);
  } catch (err) {
    if (!(err instanceof YamlViewError)) throw err;
    const pos = err.node?.range ? lines.linePos(err.node.range[0]) : { line: 0, col: 0 };
    return { groups: [], problems: [{ line: pos.line, column: pos.col, message: err.message }] };
  }
}

function checkDocuments(text: string, lines: LineCounter): { groups: RuleGroupDefinition[]; problems: RuleProblem[] } {
  // Prometheus decodes the first document of a stream and never looks at the others.
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true, merge: true });
  if (!Array.isArray(docs) || docs.length === 0) return { groups: [], problems: [] };
  const doc = docs[0];
  const yaml = new YamlView(doc);
  const at = (node: YamlNode | null | undefined) => {
    const pos = node?.range ? lines.linePos(node.range[0]) : { line: 0, col: 0 };
    return { line: pos.line, column: pos.col };
  };
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    return { groups: [], problems: [{ line: err.linePos?.[0]?.line ?? 0, column: err.linePos?.[0]?.col ?? 0, message: `yaml: ${err.message.split('\n')[0]}` }] };
  }
  const problems: RuleProblem[] = [];
  const groups: RuleGroupDefinition[] = [];
  const root = yaml.deref(doc.contents);
  if (root === null || (isScalar(root) && root.value === null)) return { groups, problems };
  if (!isMap(root)) return { groups, problems: [{ ...at(root), message: 'yaml: the file must be a mapping with a `groups` list' }] };
  const rootFields = yaml.fields(root);
  for (const [key, { keyNode }] of rootFields) {
    if (key !== 'groups') problems.push({ ...at(keyNode), message: `yaml: field ${key} not found in type rulefmt.RuleGroups` });
  }
  const list = yaml.deref(rootFields.get('groups')?.value);
  if (list === null || (isScalar(list) && list.value === null)) return { groups, problems };
  if (!isSeq(list)) return { groups, problems: [...problems, { ...at(list), message: 'yaml: `groups` must be a list of rule groups' }] };

  const seen = new Set<string>();
  for (const raw of list.items as YamlNode[]) {
    const item = yaml.deref(raw);
    if (!isMap(item)) {
      problems.push({ ...at(item ?? raw), message: 'yaml: a rule group must be a mapping' });
      continue;
    }
    const fields = yaml.fields(item);
    const structural = unknownKeys(fields, GROUP_KEYS, 'rulefmt.RuleGroup', at);
    problems.push(...structural);
    const get = (key: string) => yaml.deref(fields.get(key)?.value) ?? undefined;
    const nameNode = get('name');
    const name = scalarText(nameNode);
    if (!name) problems.push({ ...at(item), message: 'Groupname must not be empty' });
    else if (seen.has(name)) problems.push({ ...at(item), message: `groupname: "${name}" is repeated in the same file` });
    if (name) seen.add(name);
    const group: RuleGroupDefinition = { name: name ?? '', rules: [] };
    const interval = get('interval');
    if (interval !== undefined) {
      group.interval = scalarText(interval) ?? '';
      if (parseDuration(group.interval) === null) problems.push({ ...at(interval), message: `not a valid duration string: "${group.interval}"` });
    }
    const limit = get('limit');
    if (limit !== undefined) {
      const value = isScalar(limit) ? limit.value : undefined;
      if (typeof value !== 'number' || !Number.isInteger(value)) problems.push({ ...at(limit), message: `yaml: cannot unmarshal \`${scalarText(limit) ?? '…'}\` into int` });
      else group.limit = value;
    }
    const rules = get('rules');
    if (rules !== undefined && !(isScalar(rules) && rules.value === null)) {
      if (!isSeq(rules)) problems.push({ ...at(rules), message: 'yaml: `rules` must be a list of rules' });
      else (rules.items as YamlNode[]).forEach((rule, index) => checkRule(yaml, yaml.deref(rule) ?? rule, index + 1, group, problems, at));
    }
    groups.push(group);
  }
  return { groups, problems };
}

/** A file's bytes as text; like yaml.v3, invalid UTF-8 is refused rather than replaced. */
function decodeUtf8(bytes: Uint8Array): { text: string } | { error: string } {
  try {
    return { text: new TextDecoder('utf-8', { fatal: true }).decode(bytes) };
  } catch {
    // Which octet is wrong, in yaml.v3's words: one that cannot start a character, or a broken continuation.
    for (let i = 0; i < bytes.length; ) {
      const b = bytes[i];
      const length = b < 0x80 ? 1 : b >= 0xc2 && b < 0xe0 ? 2 : b >= 0xe0 && b < 0xf0 ? 3 : b >= 0xf0 && b < 0xf5 ? 4 : 0;
      if (length === 0) return { error: 'yaml: invalid leading UTF-8 octet' };
      for (let k = 1; k < length; k += 1) if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return { error: 'yaml: invalid trailing UTF-8 octet' };
      i += length;
    }
    return { error: 'yaml: invalid UTF-8' };
  }
}

type At = (node: YamlNode | null | undefined) => { line: number; column: number };

/** A mapping's fields as a YAML decoder sees them: merge keys (`<<: *base`) applied, explicit keys first. */
type Fields = Map<string, { keyNode: YamlNode; value: YamlNode | null }>;

/** Merges of merges deeper than this are refused as an alias bomb would be. */
const MAX_MERGE_DEPTH = 20;

/** What a YAML decoder refuses while reading the document: an alias to no anchor, merges too deep. */
class YamlViewError extends Error {
  constructor(
    readonly node: YamlNode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Reads a YAML document the way yaml.v3 decodes it into Prometheus' structs: aliases stand for
 * what their anchor holds, and merge keys add the merged mappings' fields where the mapping does
 * not set them itself. Nodes keep their positions, so problems point at the user's lines.
 */
class YamlView {
  constructor(private readonly doc: Document) {}

  deref(node: unknown): YamlNode | null {
    let current = node;
    for (let hops = 0; isAlias(current) && hops < MAX_MERGE_DEPTH; hops += 1) {
      const target = current.resolve(this.doc);
      if (target === undefined) throw new YamlViewError(current, `yaml: unknown anchor '${current.source}' referenced`);
      current = target;
    }
    return (current ?? null) as YamlNode | null;
  }

  fields(map: YAMLMap, depth = 0): Fields {
    const own: Fields = new Map();
    const merged: Fields = new Map();
    for (const pair of map.items as Array<Pair<unknown, unknown>>) {
      const keyValue = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof keyValue === 'symbol' || keyValue === '<<') {
        if (depth >= MAX_MERGE_DEPTH) throw new YamlViewError(pair.key as YamlNode, `yaml: merge keys nested more than ${MAX_MERGE_DEPTH} deep`);
        const source = this.deref(pair.value);
        const sources = isSeq(source) ? (source.items as unknown[]).map((n) => this.deref(n)) : [source];
        // Earlier mappings of a merge list win over later ones.
        for (const m of sources) if (isMap(m)) for (const [k, v] of this.fields(m, depth + 1)) if (!merged.has(k)) merged.set(k, v);
        continue;
      }
      own.set(String(keyValue), { keyNode: pair.key as YamlNode, value: (pair.value ?? null) as YamlNode | null });
    }
    for (const [k, v] of merged) if (!own.has(k)) own.set(k, v);
    return own;
  }
}

function checkRule(yaml: YamlView, node: YamlNode, index: number, group: RuleGroupDefinition, problems: RuleProblem[], at: At): void {
  if (!isMap(node)) {
    problems.push({ ...at(node), message: 'yaml: a rule must be a mapping' });
    return;
  }
  const fields = yaml.fields(node);
  const unknown = unknownKeys(fields, RULE_KEYS, 'rulefmt.RuleNode', at);
  problems.push(...unknown);
  const field = (key: string) => yaml.deref(fields.get(key)?.value) ?? undefined;
  const alert = scalarText(field('alert'));
  const record = scalarText(field('record'));
  const name = record || alert || '';
  const where = { group: group.name, rule: index, ruleName: name };
  const problem = (n: YamlNode | null | undefined, message: string) => problems.push({ ...(n ? at(n) : { line: 0, column: 0 }), ...where, message });

  const labels = stringMap(yaml, field('labels'), 'labels', problem);
  const annotations = stringMap(yaml, field('annotations'), 'annotations', problem);
  if (record && alert) problem(field('record'), "only one of 'record' and 'alert' must be set");
  else if (!record && !alert) problem(null, "one of 'record' or 'alert' must be set");
  const expr = scalarText(field('expr')) ?? '';
  if (expr === '') problem(field('expr') ?? null, "field 'expr' must be set in rule");
  else {
    const parsed = checkPromQL(expr);
    if (parsed) problem(field('expr'), `could not parse expression: ${parsed.line}:${parsed.column}: parse error: ${parsed.message}`);
  }
  for (const key of ['for', 'keep_firing_for'] as const) {
    const value = field(key);
    if (value === undefined) continue;
    if (record) problem(field('record'), `invalid field '${key}' in recording rule`);
    else if (parseDuration(scalarText(value) ?? '') === null) problem(value, `not a valid duration string: "${scalarText(value) ?? ''}"`);
  }
  if (record) {
    if (field('annotations') !== undefined) problem(field('record'), "invalid field 'annotations' in recording rule");
    if (!METRIC_NAME.test(record)) problem(field('record'), `invalid recording rule name: ${record}`);
  }
  for (const label of Object.keys(labels)) if (!LABEL_NAME.test(label) || label === '__name__') problem(field('labels'), `invalid label name: ${label}`);
  for (const annotation of Object.keys(annotations)) if (!LABEL_NAME.test(annotation)) problem(field('annotations'), `invalid annotation name: ${annotation}`);
  if (alert) {
    // Prometheus parses alert labels and annotations as Go templates when it loads the file.
    for (const [kind, values, n] of [['label', labels, field('labels')], ['annotation', annotations, field('annotations')]] as const) {
      for (const [key, value] of Object.entries(values)) {
        const error = checkGoTemplate(value);
        if (error) problem(n, `${kind} "${key}": template: __alert_${alert}:${error.line}: ${error.message}`);
      }
    }
  }
  const rule: RuleDefinition = { kind: record ? 'record' : 'alert', name, expr, labels, annotations };
  const forValue = scalarText(field('for'));
  if (forValue) rule.for = forValue;
  const keep = scalarText(field('keep_firing_for'));
  if (keep) rule.keepFiringFor = keep;
  group.rules.push(rule);
}

function unknownKeys(fields: Fields, allowed: Set<string>, type: string, at: At): RuleProblem[] {
  return [...fields]
    .filter(([key]) => !allowed.has(key))
    .map(([key, { keyNode }]) => ({ ...at(keyNode), message: `yaml: field ${key} not found in type ${type}` }));
}

function scalarText(node: YamlNode | null | undefined): string | undefined {
  if (!node || !isScalar(node) || node.value === null || node.value === undefined) return undefined;
  return String(node.value);
}

function stringMap(yaml: YamlView, node: YamlNode | undefined, what: string, problem: (n: YamlNode | null | undefined, message: string) => void): Record<string, string> {
  if (node === undefined || (isScalar(node) && node.value === null)) return {};
  if (!isMap(node)) {
    problem(node, `yaml: \`${what}\` must be a mapping of names to values`);
    return {};
  }
  const result: Record<string, string> = {};
  for (const [key, entry] of yaml.fields(node)) {
    const value = yaml.deref(entry.value);
    if (value !== null && !isScalar(value)) problem(value, `yaml: the value of ${what}.${key} must be a string`);
    else result[key] = value === null ? '' : String(value.value ?? '');
  }
  return result;
}

/** A problem as promtool prints it: `file: line:col: group "g", rule 2, "name": message`. */
export function formatRuleProblem(file: string, p: RuleProblem): string {
  const position = p.line > 0 ? `${p.line}:${p.column}: ` : '';
  const where = p.group !== undefined && p.rule !== undefined ? `group "${p.group}", rule ${p.rule}, "${p.ruleName ?? ''}": ` : '';
  return `${file}: ${position}${where}${p.message}`;
}

/** Rule files as Prometheus reads them, from groups. */
export function ruleGroupsToYaml(groups: RuleGroupDefinition[]): Record<string, unknown> {
  return {
    groups: groups.map((g) => ({
      name: g.name,
      ...(g.interval ? { interval: g.interval } : {}),
      ...(g.limit !== undefined ? { limit: g.limit } : {}),
      rules: g.rules.map((r) => ({
        [r.kind]: r.name,
        expr: r.expr,
        ...(r.for ? { for: r.for } : {}),
        ...(r.keepFiringFor ? { keep_firing_for: r.keepFiringFor } : {}),
        ...(Object.keys(r.labels).length ? { labels: r.labels } : {}),
        ...(Object.keys(r.annotations).length ? { annotations: r.annotations } : {}),
      })),
    })),
  };
}
