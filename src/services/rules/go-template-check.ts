/**
 * A syntax check of Go's text/template language, as Prometheus parses alert labels and
 * annotations: actions, pipelines, control structures and their `end`, variables in scope,
 * and functions that exist. It judges, it does not execute.
 */

const GO_BUILTINS = [
  'and',
  'call',
  'html',
  'index',
  'slice',
  'js',
  'len',
  'not',
  'or',
  'print',
  'printf',
  'println',
  'urlquery',
  'eq',
  'ge',
  'gt',
  'le',
  'lt',
  'ne',
];
/** Functions Prometheus 2.42 adds to alert templates. */
const PROMETHEUS_FUNCTIONS = [
  'query',
  'first',
  'label',
  'value',
  'strvalue',
  'args',
  'reReplaceAll',
  'safeHtml',
  'match',
  'title',
  'toUpper',
  'toLower',
  'graphLink',
  'tableLink',
  'sortByLabel',
  'humanize',
  'humanize1024',
  'humanizeDuration',
  'humanizePercentage',
  'humanizeTimestamp',
  'toTime',
  'pathPrefix',
  'externalURL',
  'parseDuration',
  'stripPort',
  'stripDomain',
  'tmpl',
];
export const ALERT_TEMPLATE_FUNCTIONS = new Set([...GO_BUILTINS, ...PROMETHEUS_FUNCTIONS]);
/** Prometheus defines these before every alert template. */
export const ALERT_TEMPLATE_VARIABLES = ['$labels', '$externalLabels', '$externalURL', '$value'];

type Token = {
  kind:
    | 'word'
    | 'field'
    | 'var'
    | 'string'
    | 'number'
    | 'char'
    | 'open'
    | 'close'
    | 'pipe'
    | 'comma'
    | 'declare'
    | 'assign'
    | 'bool'
    | 'nil';
  text: string;
};

/** A problem found while checking; not an Error (no stack to capture: it never leaves this module). */
class TemplateError {
  constructor(readonly message: string) {}
}

interface Block {
  kind: string;
  variables: Set<string>;
}

export function checkGoTemplate(
  text: string,
  functions: Set<string> = ALERT_TEMPLATE_FUNCTIONS,
  predeclared: string[] = ALERT_TEMPLATE_VARIABLES,
): { line: number; message: string } | null {
  const blocks: Block[] = [{ kind: 'root', variables: new Set(['$', ...predeclared]) }];
  let i = 0;
  let line = 1;
  const advanceTo = (end: number) => {
    for (let k = i; k < end; k += 1) if (text[k] === '\n') line += 1;
    i = end;
  };
  try {
    for (;;) {
      const open = text.indexOf('{{', i);
      if (open < 0) break;
      advanceTo(open + 2);
      if (text[i] === '-' && /[ \t\r\n]/.test(text[i + 1] ?? '')) i += 1;
      if (text.startsWith('/*', i)) {
        const close = text.indexOf('*/', i + 2);
        if (close < 0) throw new TemplateError('unclosed comment');
        advanceTo(close + 2);
        const after = /^(?: -)?}}/.exec(text.slice(i));
        if (!after) throw new TemplateError('comment ends before closing delimiter');
        advanceTo(i + after[0].length);
        continue;
      }
      const { tokens, end } = lexAction(text, i);
      advanceTo(end);
      action(tokens, blocks, functions);
    }
    if (blocks.length > 1) throw new TemplateError('unexpected EOF');
    return null;
  } catch (err) {
    if (err instanceof TemplateError) return { line, message: err.message };
    throw err;
  }
}

function lexAction(text: string, start: number): { tokens: Token[]; end: number } {
  const tokens: Token[] = [];
  let i = start;
  for (;;) {
    if (i >= text.length) throw new TemplateError('unclosed action');
    const rest = text.slice(i);
    const close = /^(?:[ \t\r\n]+-)?}}/.exec(rest);
    if (close) return { tokens, end: i + close[0].length };
    const c = text[i];
    if (/[ \t\r\n]/.test(c)) {
      i += 1;
      continue;
    }
    let m: RegExpExecArray | null;
    if (c === '"') {
      m = /^"(?:[^"\\\n]|\\.)*"/.exec(rest);
      if (!m) throw new TemplateError('unterminated quoted string');
      tokens.push({ kind: 'string', text: m[0] });
    } else if (c === '`') {
      const endQuote = text.indexOf('`', i + 1);
      if (endQuote < 0) throw new TemplateError('unterminated raw quoted string');
      m = [text.slice(i, endQuote + 1)] as unknown as RegExpExecArray;
      tokens.push({ kind: 'string', text: m[0] });
    } else if (c === "'") {
      m = /^'(?:[^'\\\n]|\\.)+'/.exec(rest);
      if (!m) throw new TemplateError('unterminated character constant');
      tokens.push({ kind: 'char', text: m[0] });
    } else if (
      (m = /^[+-]?(?:0[xX][0-9a-fA-F_]+|(?:\d[\d_]*\.?[\d_]*|\.\d[\d_]*)(?:[eE][+-]?\d+)?i?)/.exec(rest)) &&
      /[\d.]/.test(rest[c === '-' || c === '+' ? 1 : 0] ?? '') &&
      !(c === '.' && !/^\.\d/.test(rest))
    ) {
      tokens.push({ kind: 'number', text: m[0] });
    } else if ((m = /^\$[A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*/.exec(rest))) {
      tokens.push({ kind: 'var', text: m[0] });
    } else if ((m = /^(?:\.[A-Za-z_][A-Za-z0-9_]*)+|^\./.exec(rest))) {
      tokens.push({ kind: 'field', text: m[0] });
    } else if ((m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(rest))) {
      const word = m[0];
      tokens.push({ kind: word === 'true' || word === 'false' ? 'bool' : word === 'nil' ? 'nil' : 'word', text: word });
    } else if ((m = /^:=/.exec(rest))) tokens.push({ kind: 'declare', text: m[0] });
    else if ((m = /^=/.exec(rest))) tokens.push({ kind: 'assign', text: m[0] });
    else if ((m = /^\(/.exec(rest))) tokens.push({ kind: 'open', text: m[0] });
    else if ((m = /^\)/.exec(rest))) tokens.push({ kind: 'close', text: m[0] });
    else if ((m = /^\|/.exec(rest))) tokens.push({ kind: 'pipe', text: m[0] });
    else if ((m = /^,/.exec(rest))) tokens.push({ kind: 'comma', text: m[0] });
    else throw new TemplateError(`unexpected "${c}" in command`);
    i += m[0].length;
  }
}

const KEYWORDS = new Set(['if', 'else', 'end', 'range', 'with', 'define', 'block', 'template', 'break', 'continue']);

function action(tokens: Token[], blocks: Block[], functions: Set<string>): void {
  if (tokens.length === 0) throw new TemplateError('missing value for command');
  const [first, ...rest] = tokens;
  const top = blocks[blocks.length - 1];
  const keyword = first.kind === 'word' && KEYWORDS.has(first.text) ? first.text : null;
  switch (keyword) {
    case 'if':
    case 'with':
    case 'range': {
      const block: Block = { kind: keyword, variables: new Set() };
      blocks.push(block);
      pipeline(rest, blocks, functions, keyword, keyword === 'range' ? 2 : 1);
      return;
    }
    case 'else': {
      if (!['if', 'with', 'range'].includes(top.kind)) throw new TemplateError('unexpected {{else}}');
      if (rest.length > 0) {
        const chained = rest[0].text;
        if (rest[0].kind !== 'word' || (chained !== 'if' && chained !== 'with')) throw new TemplateError('unexpected token in else');
        pipeline(rest.slice(1), blocks, functions, chained, 1);
      }
      return;
    }
    case 'end':
      if (rest.length > 0) throw new TemplateError(`unexpected ${describe(rest[0])} in end`);
      if (blocks.length === 1) throw new TemplateError('unexpected {{end}}');
      blocks.pop();
      return;
    case 'define':
    case 'block':
    case 'template': {
      if (rest[0]?.kind !== 'string')
        throw new TemplateError(`unexpected ${rest[0] ? describe(rest[0]) : 'end of action'} in ${keyword} clause`);
      if (keyword === 'define') {
        if (rest.length > 1) throw new TemplateError(`unexpected ${describe(rest[1])} in define clause`);
        blocks.push({ kind: 'define', variables: new Set(['$']) });
        return;
      }
      if (rest.length > 1) pipeline(rest.slice(1), blocks, functions, keyword, 0);
      if (keyword === 'block') blocks.push({ kind: 'block', variables: new Set(['$']) });
      return;
    }
    case 'break':
    case 'continue':
      if (!blocks.some((b) => b.kind === 'range')) throw new TemplateError(`{{${keyword}}} outside {{range}}`);
      return;
    default:
      pipeline(tokens, blocks, functions, 'command', 1);
  }
}

/** `[$x [, $y] :=] command | command …`, where a declaration adds to the innermost block's variables. */
function pipeline(tokens: Token[], blocks: Block[], functions: Set<string>, context: string, maxDeclared: number): void {
  let body = tokens;
  const declared: string[] = [];
  const declaration = tokens.findIndex((t) => t.kind === 'declare' || t.kind === 'assign');
  if (declaration > 0 && tokens.slice(0, declaration).every((t) => t.kind === 'var' || t.kind === 'comma')) {
    const names = tokens.slice(0, declaration).filter((t) => t.kind === 'var');
    if (names.length > Math.max(1, maxDeclared)) throw new TemplateError('too many declarations in command');
    declared.push(...names.map((n) => n.text));
    body = tokens.slice(declaration + 1);
  }
  if (body.length === 0) throw new TemplateError(`missing value for ${context}`);
  let depth = 0;
  let command: Token[] = [];
  const commands: Token[][] = [];
  for (const token of body) {
    if (token.kind === 'open') depth += 1;
    if (token.kind === 'close') {
      depth -= 1;
      if (depth < 0) throw new TemplateError('unexpected right paren');
    }
    if (token.kind === 'pipe' && depth === 0) {
      commands.push(command);
      command = [];
    } else command.push(token);
  }
  if (depth > 0) throw new TemplateError('unclosed left paren');
  commands.push(command);
  for (const c of commands) operands(c, blocks, functions);
  for (const name of declared) blocks[blocks.length - 1].variables.add(name.split('.')[0]);
}

function operands(tokens: Token[], blocks: Block[], functions: Set<string>): void {
  if (tokens.length === 0) throw new TemplateError('missing value for command');
  for (let i = 0; i < tokens.length; i += 1) {
    const token = tokens[i];
    if (token.kind === 'word') {
      if (KEYWORDS.has(token.text)) throw new TemplateError(`unexpected <${token.text}> in command`);
      if (!functions.has(token.text)) throw new TemplateError(`function "${token.text}" not defined`);
    } else if (token.kind === 'var') requireVariable(token.text, blocks);
    else if (token.kind === 'open') {
      let depth = 1;
      let j = i + 1;
      for (; j < tokens.length && depth > 0; j += 1) {
        if (tokens[j].kind === 'open') depth += 1;
        if (tokens[j].kind === 'close') depth -= 1;
      }
      pipeline(tokens.slice(i + 1, j - 1), blocks, functions, 'parenthesized pipeline', 0);
      i = j - 1;
    } else if (token.kind === 'comma' || token.kind === 'declare' || token.kind === 'assign')
      throw new TemplateError(`unexpected "${token.text}" in operand`);
  }
}

function requireVariable(text: string, blocks: Block[]): void {
  const name = text.split('.')[0];
  if (!blocks.some((b) => b.variables.has(name))) throw new TemplateError(`undefined variable "${name}"`);
}

function describe(token: Token): string {
  return token.kind === 'string' ? `quoted string` : `"${token.text}"`;
}
