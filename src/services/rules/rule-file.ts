import { LABEL_NAME, METRIC_NAME, parseDuration } from '../../shared/prometheus-syntax';
import { checkGoTemplate } from './go-template-check';
import { checkPromQL } from './promql-check';
import { remembered } from '../shared/remembered';
import { preciseRead, quickRead, YamlReadError, type DocNode } from './rule-yaml';
import type { RuleDefinition, RuleGroupDefinition } from '../../domain/rules';

export type { RuleDefinition, RuleGroupDefinition } from '../../domain/rules';

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
  const decoded = typeof input === 'string' ? { text: input } : decodeUtf8(input);
  if ('error' in decoded) return { groups: [], problems: [{ line: 0, column: 0, message: decoded.error }] };
  const { text } = decoded;
  // Most files are valid: the quick reading judges them. A file with any problem is read again
  // precisely, so every problem it reports has its line and column.
  const quick = quickRead(text);
  if (quick) {
    const verdict = checkDocument(quick);
    if (verdict.problems.length === 0) return verdict;
  }
  try {
    const root = preciseRead(text);
    return root ? checkDocument(root) : { groups: [], problems: [] };
  } catch (err) {
    if (!(err instanceof YamlReadError)) throw err;
    return { groups: [], problems: [{ line: err.line, column: err.column, message: err.message }] };
  }
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
      for (let k = 1; k < length; k += 1)
        if (i + k >= bytes.length || (bytes[i + k] & 0xc0) !== 0x80) return { error: 'yaml: invalid trailing UTF-8 octet' };
      i += length;
    }
    return { error: 'yaml: invalid UTF-8' };
  }
}

const at = (node: DocNode | null | undefined) => node?.position() ?? { line: 0, column: 0 };
const scalarText = (node: DocNode | undefined): string | undefined => (node && node.kind === 'scalar' ? node.text() : undefined);
const isNull = (node: DocNode | undefined) => node === undefined || node.kind === 'null';
/** An int field as yaml.v3 reads one: decimal, or 0x / 0o / 0b with an optional sign. */
const YAML_INT = /^[-+]?(?:0|[1-9][0-9_]*|0x[0-9a-fA-F_]+|0o[0-7_]+|0b[01_]+)$/;

function checkDocument(root: DocNode): { groups: RuleGroupDefinition[]; problems: RuleProblem[] } {
  const problems: RuleProblem[] = [];
  const groups: RuleGroupDefinition[] = [];
  if (root.kind === 'null') return { groups, problems };
  if (root.kind !== 'map') return { groups, problems: [{ ...at(root), message: 'yaml: the file must be a mapping with a `groups` list' }] };
  const rootFields = root.fields();
  for (const [key, { key: keyNode }] of rootFields) {
    if (key !== 'groups') problems.push({ ...at(keyNode), message: `yaml: field ${key} not found in type rulefmt.RuleGroups` });
  }
  const list = rootFields.get('groups')?.value;
  if (isNull(list)) return { groups, problems };
  if (list!.kind !== 'seq')
    return { groups, problems: [...problems, { ...at(list), message: 'yaml: `groups` must be a list of rule groups' }] };

  const seen = new Set<string>();
  for (const item of list!.items()) {
    if (item.kind !== 'map') {
      problems.push({ ...at(item), message: 'yaml: a rule group must be a mapping' });
      continue;
    }
    const fields = item.fields();
    problems.push(...unknownKeys(fields, GROUP_KEYS, 'rulefmt.RuleGroup'));
    const get = (key: string) => fields.get(key)?.value;
    const name = scalarText(get('name'));
    if (!name) problems.push({ ...at(item), message: 'Groupname must not be empty' });
    else if (seen.has(name)) problems.push({ ...at(item), message: `groupname: "${name}" is repeated in the same file` });
    if (name) seen.add(name);
    const group: RuleGroupDefinition = { name: name ?? '', rules: [] };
    const interval = get('interval');
    if (interval !== undefined) {
      group.interval = scalarText(interval) ?? '';
      if (parseDuration(group.interval) === null)
        problems.push({ ...at(interval), message: `not a valid duration string: "${group.interval}"` });
    }
    const limit = get('limit');
    if (limit !== undefined && !isNull(limit)) {
      const text = scalarText(limit) ?? '';
      const value = YAML_INT.test(text) ? Number(text.replace(/_/g, '').replace(/^([-+]?)0o/, '$10o')) : NaN;
      if (!Number.isSafeInteger(value)) problems.push({ ...at(limit), message: `yaml: cannot unmarshal \`${text || '…'}\` into int` });
      else group.limit = value;
    }
    const rules = get('rules');
    if (!isNull(rules)) {
      if (rules!.kind !== 'seq') problems.push({ ...at(rules), message: 'yaml: `rules` must be a list of rules' });
      else rules!.items().forEach((rule, index) => checkRule(rule, index + 1, group, problems));
    }
    groups.push(group);
  }
  return { groups, problems };
}

function checkRule(node: DocNode, index: number, group: RuleGroupDefinition, problems: RuleProblem[]): void {
  if (node.kind !== 'map') {
    problems.push({ ...at(node), message: 'yaml: a rule must be a mapping' });
    return;
  }
  const fields = node.fields();
  problems.push(...unknownKeys(fields, RULE_KEYS, 'rulefmt.RuleNode'));
  const field = (key: string) => fields.get(key)?.value;
  const alert = scalarText(field('alert'));
  const record = scalarText(field('record'));
  const name = record || alert || '';
  const where = { group: group.name, rule: index, ruleName: name };
  const problem = (n: DocNode | null | undefined, message: string) => problems.push({ ...at(n), ...where, message });

  const labels = stringMap(field('labels'), 'labels', problem);
  const annotations = stringMap(field('annotations'), 'annotations', problem);
  if (record && alert) problem(field('record'), "only one of 'record' and 'alert' must be set");
  else if (!record && !alert) problem(null, "one of 'record' or 'alert' must be set");
  const expr = scalarText(field('expr')) ?? '';
  if (expr === '') problem(field('expr') ?? null, "field 'expr' must be set in rule");
  else {
    const parsed = expressionVerdict(expr);
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
  for (const label of Object.keys(labels))
    if (!LABEL_NAME.test(label) || label === '__name__') problem(field('labels'), `invalid label name: ${label}`);
  for (const annotation of Object.keys(annotations))
    if (!LABEL_NAME.test(annotation)) problem(field('annotations'), `invalid annotation name: ${annotation}`);
  if (alert) {
    // Prometheus parses alert labels and annotations as Go templates when it loads the file.
    for (const [kind, values, n] of [
      ['label', labels, field('labels')],
      ['annotation', annotations, field('annotations')],
    ] as const) {
      for (const [key, value] of Object.entries(values)) {
        const error = templateVerdict(value);
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

// Rule files repeat expressions and annotations, within a file and across files.
const templateVerdict = remembered((text) => checkGoTemplate(text));
const expressionVerdict = remembered((text) => checkPromQL(text));

function unknownKeys(fields: Map<string, { key: DocNode }>, allowed: Set<string>, type: string): RuleProblem[] {
  return [...fields]
    .filter(([key]) => !allowed.has(key))
    .map(([key, { key: keyNode }]) => ({ ...at(keyNode), message: `yaml: field ${key} not found in type ${type}` }));
}

function stringMap(
  node: DocNode | undefined,
  what: string,
  problem: (n: DocNode | null | undefined, message: string) => void,
): Record<string, string> {
  if (isNull(node)) return {};
  if (node!.kind !== 'map') {
    problem(node, `yaml: \`${what}\` must be a mapping of names to values`);
    return {};
  }
  const result: Record<string, string> = {};
  for (const [key, { value }] of node!.fields()) {
    if (value.kind === 'map' || value.kind === 'seq') problem(value, `yaml: the value of ${what}.${key} must be a string`);
    else result[key] = value.kind === 'null' ? '' : value.text();
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
