import * as jsyaml from 'js-yaml';
import type { Document, LineCounter, Node as YamlNode, Pair } from 'yaml';

type YamlModule = typeof import('yaml');
let yamlModule: YamlModule | undefined;
/**
 * The `yaml` package (72 modules) is loaded on the first precise reading: most files are valid
 * and never need one, and `alertagent rules check` over a few small files is mostly start-up.
 */
function yaml(): YamlModule {
  yamlModule ??= require('yaml') as YamlModule;
  return yamlModule;
}

/**
 * One node of a rule file's first YAML document as yaml.v3 decodes it into Prometheus' structs:
 * aliases stand for what their anchor holds, merge keys (`<<`) add the merged mappings' fields
 * where a mapping does not set them itself, and a scalar read into a string field is its text.
 */
export interface DocNode {
  readonly kind: 'map' | 'seq' | 'scalar' | 'null';
  /** A mapping's fields, merges applied. */
  fields(): Map<string, { key: DocNode; value: DocNode }>;
  items(): DocNode[];
  text(): string;
  /** 1-based; 0:0 where the reading keeps no positions. */
  position(): { line: number; column: number };
}

/** A document that could not be read, where. */
export class YamlReadError extends Error {
  constructor(
    message: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(message);
  }
}

/** Merges of merges deeper than this are refused as an alias bomb would be. */
const MAX_MERGE_DEPTH = 20;

// Every scalar as its text (a rule file's fields are strings, bar `limit`), merge keys applied.
// (js-yaml exports its built-in types at run time; its type declarations leave them out.)
const MERGE = (jsyaml as unknown as { types: { merge: jsyaml.Type } }).types.merge;
const FAST_SCHEMA = jsyaml.FAILSAFE_SCHEMA.extend({ implicit: [MERGE] });

/**
 * The quick reading: js-yaml, about ten times faster than a full syntax tree, without positions.
 * Null when it cannot read the document (the precise reading then says why, and where).
 */
export function quickRead(text: string): DocNode | null {
  let first: unknown;
  try {
    // Prometheus decodes the first document of a stream and never looks at the others.
    jsyaml.loadAll(
      text,
      (doc) => {
        if (first === undefined) first = doc ?? null;
      },
      { schema: FAST_SCHEMA, json: false },
    );
  } catch {
    return null;
  }
  return new ValueNode(first ?? null);
}

class ValueNode implements DocNode {
  readonly kind: DocNode['kind'];

  constructor(private readonly value: unknown) {
    this.kind =
      value === null || value === undefined ? 'null' : Array.isArray(value) ? 'seq' : typeof value === 'object' ? 'map' : 'scalar';
  }

  fields(): Map<string, { key: DocNode; value: DocNode }> {
    if (this.kind !== 'map') return new Map();
    return new Map(
      Object.entries(this.value as Record<string, unknown>).map(([k, v]) => [k, { key: new ValueNode(k), value: new ValueNode(v) }]),
    );
  }

  items(): DocNode[] {
    return this.kind === 'seq' ? (this.value as unknown[]).map((v) => new ValueNode(v)) : [];
  }

  text(): string {
    return this.kind === 'scalar' ? String(this.value) : '';
  }

  position(): { line: number; column: number } {
    return { line: 0, column: 0 };
  }
}

/** The precise reading: the `yaml` package's syntax tree, so every node knows its line and column. */
export function preciseRead(text: string): DocNode | null {
  const { LineCounter, parseAllDocuments } = yaml();
  const lines = new LineCounter();
  const docs = parseAllDocuments(text, { lineCounter: lines, uniqueKeys: true, prettyErrors: true, merge: true });
  if (!Array.isArray(docs) || docs.length === 0) return null;
  const doc = docs[0];
  if (doc.errors.length > 0) {
    const err = doc.errors[0];
    throw new YamlReadError(`yaml: ${err.message.split('\n')[0]}`, err.linePos?.[0]?.line ?? 0, err.linePos?.[0]?.col ?? 0);
  }
  return new TreeNode({ doc, lines, text }, doc.contents);
}

interface Tree {
  doc: Document;
  lines: LineCounter;
  text: string;
}

class TreeNode implements DocNode {
  readonly kind: DocNode['kind'];
  private readonly node: YamlNode | null;

  constructor(
    private readonly tree: Tree,
    raw: unknown,
    private readonly depth = 0,
  ) {
    this.node = this.deref(raw);
    const node = this.node;
    const { isScalar, isMap, isSeq } = yaml();
    this.kind = node === null || (isScalar(node) && node.value === null) ? 'null' : isMap(node) ? 'map' : isSeq(node) ? 'seq' : 'scalar';
  }

  private deref(raw: unknown): YamlNode | null {
    const { isAlias } = yaml();
    let current = raw;
    for (let hops = 0; isAlias(current) && hops < MAX_MERGE_DEPTH; hops += 1) {
      const target = current.resolve(this.tree.doc);
      if (target === undefined) throw this.error(current, `yaml: unknown anchor '${current.source}' referenced`);
      current = target;
    }
    return (current ?? null) as YamlNode | null;
  }

  private error(node: YamlNode, message: string): YamlReadError {
    const pos = node.range ? this.tree.lines.linePos(node.range[0]) : { line: 0, col: 0 };
    return new YamlReadError(message, pos.line, pos.col);
  }

  fields(): Map<string, { key: DocNode; value: DocNode }> {
    const { isMap, isScalar } = yaml();
    const own = new Map<string, { key: DocNode; value: DocNode }>();
    if (!isMap(this.node)) return own;
    const merged = new Map<string, { key: DocNode; value: DocNode }>();
    for (const pair of this.node.items as Array<Pair<unknown, unknown>>) {
      const keyValue = isScalar(pair.key) ? pair.key.value : pair.key;
      if (typeof keyValue === 'symbol' || keyValue === '<<') {
        if (this.depth >= MAX_MERGE_DEPTH)
          throw this.error(pair.key as YamlNode, `yaml: merge keys nested more than ${MAX_MERGE_DEPTH} deep`);
        const source = new TreeNode(this.tree, pair.value, this.depth + 1);
        // Earlier mappings of a merge list win over later ones.
        const sources = source.kind === 'seq' ? source.items() : [source];
        for (const m of sources) for (const [k, v] of m.fields()) if (!merged.has(k)) merged.set(k, v);
        continue;
      }
      own.set(String(keyValue), {
        key: new TreeNode(this.tree, pair.key, this.depth),
        value: new TreeNode(this.tree, pair.value ?? null, this.depth),
      });
    }
    for (const [k, v] of merged) if (!own.has(k)) own.set(k, v);
    return own;
  }

  items(): DocNode[] {
    return yaml().isSeq(this.node) ? (this.node.items as unknown[]).map((n) => new TreeNode(this.tree, n, this.depth)) : [];
  }

  text(): string {
    const node = this.node;
    if (!yaml().isScalar(node) || node.value === null || node.value === undefined) return '';
    if (typeof node.value === 'string') return node.value;
    // A plain scalar read into a string field keeps its text (`0755`, `1.50`), as yaml.v3 does.
    return node.range ? this.tree.text.slice(node.range[0], node.range[1]).trim() : String(node.value);
  }

  position(): { line: number; column: number } {
    const pos = this.node?.range ? this.tree.lines.linePos(this.node.range[0]) : { line: 0, col: 0 };
    return { line: pos.line, column: pos.col };
  }
}
