import type { SyntaxNode } from '@lezer/common';
import { parser } from '@prometheus-io/lezer-promql';
import { RE2JS } from 're2js';
import { parseDuration } from '../../shared/prometheus-syntax';
import { remembered } from '../shared/remembered';
import { AGGREGATION_PARAMETERS, PROMQL_FUNCTIONS, type ValueType } from './promql-functions';

/** A problem in an expression, at a 1-based line and column of the expression text. */
export interface PromQLProblem {
  line: number;
  column: number;
  message: string;
}

const COMPARISONS = new Set(['Eql', 'Neq', 'Gtr', 'Lss', 'Gte', 'Lte']);
const SET_OPERATORS = new Set(['And', 'Or', 'Unless']);
const OPERATORS = new Set(['Pow', 'Mul', 'Div', 'Mod', 'Add', 'Sub', ...COMPARISONS, ...SET_OPERATORS]);
const SELECTORS = new Set(['VectorSelector', 'MatrixSelector', 'SubqueryExpr']);
const VALID_ESCAPES = new Set(['a', 'b', 'f', 'n', 'r', 't', 'v', '\\']);

/** A problem found while checking; not an Error (no stack to capture: it never leaves this module, and files hold thousands of expressions). */
class ExpressionError {
  constructor(
    readonly offset: number,
    readonly message: string,
  ) {}
}

/** Whether a matcher regex matches the empty string, or why it does not compile; remembered, since rule files repeat their regexes. */
const regexMatchesEmpty = remembered((pattern): boolean | string => {
  try {
    return RE2JS.compile(`^(?:${pattern})$`).matches('');
  } catch (err) {
    return (err as Error).message;
  }
});

/** A node's children without comments: `# …` may stand anywhere between tokens, as in Prometheus. */
const children = (node: SyntaxNode): SyntaxNode[] => {
  const list: SyntaxNode[] = [];
  for (let child = node.firstChild; child; child = child.nextSibling) if (child.name !== 'LineComment') list.push(child);
  return list;
};
const first = (node: SyntaxNode): SyntaxNode | undefined => children(node)[0];
const last = (node: SyntaxNode): SyntaxNode | undefined => children(node).at(-1);

/**
 * Parses PromQL with the Prometheus project's own grammar (lezer-promql) and adds the checks the
 * grammar leaves to Prometheus' Go parser: value types of function arguments, aggregations and
 * binary operands, vector matching, offset and @ placement, selector and duration rules, string
 * escapes and regular expressions. The first problem is reported, as Prometheus does.
 */
export function checkPromQL(expr: string): PromQLProblem | null {
  const tree = parser.parse(expr);
  let syntax: SyntaxNode | null = null;
  tree.iterate({
    enter: (ref) => {
      if (syntax) return false;
      if (ref.type.isError) syntax = ref.node;
      return undefined;
    },
  });
  try {
    if (syntax) throw syntaxError(expr, syntax);
    const top = first(tree.topNode);
    if (!top) throw new ExpressionError(0, 'no expression found in input');
    new TypeChecker(expr).typeOf(top);
    return null;
  } catch (err) {
    if (!(err instanceof ExpressionError)) throw err;
    return { ...position(expr, err.offset), message: err.message };
  }
}

function position(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n');
  return { line: before.length, column: before[before.length - 1].length + 1 };
}

function syntaxError(expr: string, node: SyntaxNode): ExpressionError {
  const text = expr.slice(node.from, node.to);
  let previous = node.prevSibling;
  while (previous?.name === 'LineComment') previous = previous.prevSibling;
  if (text === '(' && previous?.name === 'Identifier')
    return new ExpressionError(previous.from, `unknown function with name "${expr.slice(previous.from, previous.to)}"`);
  if (node.from >= expr.trimEnd().length) return new ExpressionError(node.from, 'unexpected end of input');
  return new ExpressionError(node.from, `unexpected ${text ? `"${text}"` : 'character'}`);
}

class TypeChecker {
  constructor(private readonly expr: string) {}

  private text(node: SyntaxNode): string {
    return this.expr.slice(node.from, node.to);
  }

  private fail(node: SyntaxNode, message: string): never {
    throw new ExpressionError(node.from, message);
  }

  typeOf(node: SyntaxNode): ValueType {
    switch (node.name) {
      case 'NumberLiteral':
        this.checkNumber(node);
        return 'scalar';
      case 'StringLiteral':
        this.checkString(node);
        return 'string';
      case 'ParenExpr':
        return this.typeOf(first(node)!);
      case 'VectorSelector':
        this.checkVectorSelector(node);
        return 'instant vector';
      case 'MatrixSelector':
        return this.matrix(node);
      case 'SubqueryExpr':
        return this.subquery(node);
      case 'OffsetExpr':
        return this.modified(node, 'offset', 'Offset');
      case 'StepInvariantExpr':
        return this.modified(node, '@', 'At');
      case 'UnaryExpr': {
        const operand = children(node).find((c) => c.name !== 'UnaryOp')!;
        const type = this.typeOf(operand);
        if (type !== 'scalar' && type !== 'instant vector')
          this.fail(node, `unary expression only allowed on expressions of type scalar or instant vector, got ${type}`);
        return type;
      }
      case 'FunctionCall':
        return this.call(node);
      case 'AggregateExpr':
        return this.aggregate(node);
      case 'BinaryExpr':
        return this.binary(node);
      default:
        return this.fail(node, `unexpected ${node.name}`);
    }
  }

  /** A decimal literal beyond float64's range is refused (Go's ParseFloat), not read as infinity. */
  private checkNumber(node: SyntaxNode): void {
    const text = this.text(node);
    if (/^[0-9]*\.?[0-9]*(e[+-]?[0-9]+)?$/i.test(text) && !Number.isFinite(Number(text))) {
      this.fail(node, `error parsing number: strconv.ParseFloat: parsing "${text}": value out of range`);
    }
  }

  /** Go's unquoting rules: the escapes a Go string literal allows, and no raw newline. */
  private checkString(node: SyntaxNode): void {
    const text = this.text(node);
    const quote = text[0];
    if (quote === '`') return;
    for (let i = 1; i < text.length - 1; i += 1) {
      if (text[i] !== '\\') continue;
      const next = text[i + 1];
      if (VALID_ESCAPES.has(next) || next === quote) i += 1;
      else if (next === 'x') i += 3;
      else if (next === 'u') i += 5;
      else if (next === 'U') i += 9;
      else if (/[0-7]/.test(next)) i += 3;
      else this.fail(node, `unknown escape sequence U+${next.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')} '${next}'`);
    }
  }

  private unquote(node: SyntaxNode): string {
    const text = this.text(node);
    if (text.startsWith('`')) return text.slice(1, -1);
    const body = text.slice(1, -1).replace(/"/g, '\\"').replace(/\\'/g, "'");
    try {
      return JSON.parse(`"${body}"`);
    } catch {
      return text.slice(1, -1);
    }
  }

  private checkVectorSelector(node: SyntaxNode): void {
    const name = node.getChild('Identifier');
    const matchers = node.getChild('LabelMatchers')?.getChildren('LabelMatcher') ?? [];
    let selective = name !== null;
    for (const matcher of matchers) {
      const label = this.text(matcher.getChild('LabelName')!);
      const op = first(matcher.getChild('MatchOp')!)!.name;
      const valueNode = matcher.getChild('StringLiteral')!;
      this.checkString(valueNode);
      const value = this.unquote(valueNode);
      let matchesEmpty: boolean;
      if (op === 'EqlRegex' || op === 'NeqRegex') {
        const compiled = regexMatchesEmpty(value);
        if (typeof compiled === 'string') return this.fail(valueNode, `error parsing regexp: ${compiled}`);
        matchesEmpty = compiled === (op === 'EqlRegex');
      } else {
        matchesEmpty = (value === '') === (op === 'EqlSingle');
      }
      if (!matchesEmpty) selective = true;
      if (label === '__name__' && name) this.fail(node, `metric name must not be set twice: "${this.text(name)}" or "${value}"`);
    }
    if (!selective) this.fail(node, 'vector selector must contain at least one non-empty matcher');
  }

  private duration(node: SyntaxNode | null, owner: SyntaxNode): number {
    if (!node) return this.fail(owner, 'missing duration');
    const ms = parseDuration(this.text(node));
    if (ms === null) return this.fail(node, `not a valid duration string: "${this.text(node)}"`);
    if (ms === 0) return this.fail(node, 'duration must be greater than 0');
    return ms;
  }

  private matrix(node: SyntaxNode): ValueType {
    const inner = first(node)!;
    if (inner.name !== 'VectorSelector') this.fail(node, 'ranges only allowed for vector selectors');
    this.checkVectorSelector(inner);
    this.duration(node.getChild('Duration'), node);
    return 'range vector';
  }

  private subquery(node: SyntaxNode): ValueType {
    const inner = first(node)!;
    const type = this.typeOf(inner);
    if (type !== 'instant vector')
      this.fail(node, `subquery is only allowed on instant vector, got ${type === 'range vector' ? 'matrix' : type}`);
    const [range, step] = node.getChildren('Duration');
    this.duration(range, node);
    if (step) this.duration(step, node);
    return 'range vector';
  }

  /**
   * `offset` and `@` apply to selectors and subqueries only, once each. Prometheus binds them to
   * the operand written right before them (`a - b offset 1h` offsets `b`, `-a offset 1h` offsets
   * `a`); the grammar wraps the whole binary or unary expression, so the target is looked for at
   * its right end.
   */
  private modified(node: SyntaxNode, what: 'offset' | '@', keyword: string): ValueType {
    const inner = first(node)!;
    let target = inner;
    for (;;) {
      if (target.name === 'OffsetExpr' || target.name === 'StepInvariantExpr') {
        if (target.name === node.name)
          this.fail(node, what === 'offset' ? 'offset may not be set multiple times' : '@ <timestamp> may not be set multiple times');
        target = first(target)!;
      } else if (target.name === 'BinaryExpr' || target.name === 'UnaryExpr') {
        target = last(target)!;
      } else break;
    }
    if (!SELECTORS.has(target.name)) {
      this.fail(
        node,
        `${what === 'offset' ? 'offset' : '@'} modifier must be preceded by an instant vector selector or range vector selector or a subquery`,
      );
    }
    if (what === 'offset') this.duration(node.getChild('Duration'), node.getChild(keyword) ?? node);
    const timestamp = what === '@' ? node.getChild('NumberLiteral') : null;
    if (timestamp) {
      this.checkNumber(timestamp);
      const text = this.text(timestamp).replace(/^\+/, '');
      const value = /^[+-]?inf$/i.test(text) ? (text.startsWith('-') ? -Infinity : Infinity) : /^nan$/i.test(text) ? NaN : Number(text);
      if (!Number.isFinite(value))
        this.fail(timestamp, `timestamp out of bounds for @ modifier: ${Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'}`);
    }
    return this.typeOf(inner);
  }

  private call(node: SyntaxNode): ValueType {
    const name = this.text(node.getChild('FunctionIdentifier')!);
    const signature = PROMQL_FUNCTIONS[name];
    if (!signature) this.fail(node, `unknown function with name "${name}"`);
    const args = children(node.getChild('FunctionCallBody')!);
    const max = signature.variadic ? Infinity : signature.args.length;
    const min = signature.args.length - (signature.optional ?? 0);
    if (args.length < min || args.length > max) {
      const expected = min === max ? `${min}` : args.length < min ? `at least ${min}` : `at most ${max}`;
      this.fail(node, `expected ${expected} argument(s) in call to "${name}", got ${args.length}`);
    }
    args.forEach((arg, i) => {
      const wanted = signature.args[Math.min(i, signature.args.length - 1)];
      const got = this.typeOf(arg);
      if (got !== wanted) this.fail(arg, `expected type ${wanted} in call to function "${name}", got ${got}`);
    });
    return signature.returns;
  }

  private aggregate(node: SyntaxNode): ValueType {
    const op = this.text(node.getChild('AggregateOp')!);
    const args = children(node.getChild('FunctionCallBody')!);
    const parameter = AGGREGATION_PARAMETERS[op];
    const expected = parameter ? 2 : 1;
    if (args.length !== expected)
      this.fail(node, `wrong number of arguments for aggregate expression provided, expected ${expected}, got ${args.length}`);
    if (parameter) {
      const got = this.typeOf(args[0]);
      if (got !== parameter) this.fail(args[0], `expected type ${parameter} in aggregation parameter, got ${got}`);
    }
    const vector = args[args.length - 1];
    const got = this.typeOf(vector);
    if (got !== 'instant vector') this.fail(vector, `expected type instant vector in aggregation expression, got ${got}`);
    return 'instant vector';
  }

  private binary(node: SyntaxNode): ValueType {
    const parts = children(node);
    const opNode = parts.find((p) => OPERATORS.has(p.name))!;
    const lhs = parts[0];
    const rhs = parts[parts.length - 1];
    const op = opNode.name;
    const opText = this.text(opNode);
    const bool = parts.some((p) => p.name === 'BoolModifier');
    const matching = parts.find((p) => p.name === 'MatchingModifierClause');
    const left = this.typeOf(lhs);
    const right = this.typeOf(rhs);
    if (bool && !COMPARISONS.has(op)) this.fail(opNode, 'bool modifier can only be used on comparison operators');
    const operand = (t: ValueType) => t === 'scalar' || t === 'instant vector';
    if (!operand(left) || !operand(right)) this.fail(node, 'binary expression must contain only scalar and instant vector types');
    if (left === 'scalar' && right === 'scalar' && COMPARISONS.has(op) && !bool)
      this.fail(opNode, 'comparisons between scalars must use BOOL modifier');
    if (SET_OPERATORS.has(op) && (left === 'scalar' || right === 'scalar'))
      this.fail(node, `set operator "${opText}" not allowed in binary scalar expression`);
    if (matching) {
      if (left !== 'instant vector' || right !== 'instant vector') this.fail(node, 'vector matching only allowed between instant vectors');
      const grouping = matching.getChild('GroupLeft') ?? matching.getChild('GroupRight');
      if (grouping && SET_OPERATORS.has(op)) this.fail(node, `no grouping allowed for "${opText}" operation`);
      const [on, group] = matching.getChildren('GroupingLabels').map((g) => g.getChildren('LabelName').map((l) => this.text(l)));
      if (matching.getChild('On') && group) {
        const both = group.find((label) => on.includes(label));
        if (both) this.fail(node, `label "${both}" must not occur in ON and GROUP clause at once`);
      }
    }
    return left === 'instant vector' || right === 'instant vector' ? 'instant vector' : 'scalar';
  }
}
