import { RE2JS } from 're2js';
import { BadUserInputError } from '../../errors';
import type { LabelMatcher, MatchOperator } from '../../domain/label-matcher';

export type { LabelMatcher, MatchOperator } from '../../domain/label-matcher';

export interface CompiledMatcher extends LabelMatcher {
  matches(labels: Record<string, string>): boolean;
  /**
   * Steps per character of label value, at most, that matching costs: RE2 runs in time linear in
   * the input, times the size of the compiled program. 0 for (in)equality.
   */
  costPerChar: number;
}

/**
 * The largest regex program a matcher may compile to. Real matchers (alternations of names,
 * prefixes) stay in the tens or hundreds; `.{0,999}` alone is a thousand.
 */
export const MAX_REGEX_PROGRAM = 2_000;

/** re2js keeps the compiled program on an internal field; its size is what matching costs per character. */
function programSize(pattern: RE2JS): number {
  const internal = pattern as unknown as { re2Input?: { prog?: { inst?: unknown[] } } };
  return internal.re2Input?.prog?.inst?.length ?? MAX_REGEX_PROGRAM;
}

const MATCHER_SYNTAX = /^\s*([^\s=!~"{},]+|"(?:[^"\\]|\\.)*")\s*(=~|!~|!=|=)\s*(?:"((?:[^"\\]|\\.)*)"|([^\s"{},]*))\s*$/u;

function unquote(text: string): string {
  return text.startsWith('"') ? JSON.parse(text) : text;
}

/**
 * Compiles a matcher with Alertmanager's semantics: regexes are RE2 (Go) syntax and anchored at
 * both ends, and a missing label reads as the empty string.
 */
export function compileMatcher(matcher: LabelMatcher, field = 'matchers'): CompiledMatcher {
  if (matcher.name === '') throw BadUserInputError.forField(field, 'label name must not be empty');
  const { name, operator, value } = matcher;
  if (operator === '=' || operator === '!=') {
    const equal = operator === '=';
    return { ...matcher, costPerChar: 0, matches: (labels) => ((labels[name] ?? '') === value) === equal };
  }
  let pattern: RE2JS;
  try {
    pattern = RE2JS.compile(`^(?:${value})$`);
  } catch (err) {
    throw BadUserInputError.forField(field, `${name}${operator}"${value}": invalid regular expression (${(err as Error).message})`);
  }
  const costPerChar = programSize(pattern);
  if (costPerChar > MAX_REGEX_PROGRAM) {
    throw BadUserInputError.forField(
      field,
      `${name}${operator}"${value.length > 60 ? `${value.slice(0, 60)}…` : value}": regular expression too costly to match (compiles to ${costPerChar} steps per character; at most ${MAX_REGEX_PROGRAM})`,
    );
  }
  const positive = operator === '=~';
  return { ...matcher, costPerChar, matches: (labels) => pattern.matches(labels[name] ?? '') === positive };
}

/** Parses `name="value"`, `name=~"re"`, `name!=value` … as written in Alertmanager's `matchers:`. */
export function parseMatcher(text: string, field = 'matchers'): LabelMatcher {
  const match = MATCHER_SYNTAX.exec(text);
  if (!match) throw BadUserInputError.forField(field, `"${text}" is not a matcher; expected e.g. severity="critical" or team=~"db|infra"`);
  const [, rawName, operator, quoted, bare] = match;
  return { name: unquote(rawName), operator: operator as MatchOperator, value: quoted !== undefined ? JSON.parse(`"${quoted}"`) : bare };
}

/** True when every matcher matches (an empty list matches everything, as in Alertmanager). */
export function matchesAll(matchers: readonly CompiledMatcher[], labels: Record<string, string>): boolean {
  return matchers.every((m) => m.matches(labels));
}

/** Parses and compiles matchers as users write them; an error names `field.<index>` of the one that fails. */
export function parseMatchers(texts: readonly string[], field: string): CompiledMatcher[] {
  return texts.map((text, i) => compileMatcher(parseMatcher(text, `${field}.${i}`), `${field}.${i}`));
}

/** A compiled matcher as it is stored (name, operator, value). */
export function storedMatcher({ name, operator, value }: CompiledMatcher): LabelMatcher {
  return { name, operator, value };
}

/**
 * Refuses matchers no alert can satisfy: one label required equal to two values. `problem` may
 * name what else makes one matcher impossible where they are used; matchers are judged in order
 * and the first problem is reported at `field.<index>`.
 */
export function assertSatisfiable(
  matchers: readonly LabelMatcher[],
  field: string,
  problem: (m: LabelMatcher) => string | null = () => null,
): void {
  const equal = new Map<string, { value: string; index: number }>();
  matchers.forEach((m, index) => {
    const own = problem(m);
    if (own) throw BadUserInputError.forField(`${field}.${index}`, own);
    if (m.operator !== '=') return;
    const before = equal.get(m.name);
    if (before && before.value !== m.value) {
      throw BadUserInputError.forField(
        `${field}.${index}`,
        `requires "${m.name}" to equal both ${JSON.stringify(before.value)} (matcher ${before.index}) and ${JSON.stringify(m.value)}: it could never match`,
      );
    }
    equal.set(m.name, { value: m.value, index });
  });
}
