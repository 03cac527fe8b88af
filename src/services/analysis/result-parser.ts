import { z } from 'zod';
import { zodIssues } from '../../errors';

/** What an analysis must say to count as a structured result. */
const resultSchema = z.object({
  rootCause: z.string().trim().min(1, 'must not be empty').max(4000),
  confidence: z.number({ message: 'expected a number from 0 to 1' }).min(0, 'must be from 0 to 1').max(1, 'must be from 0 to 1'),
  suggestedActions: z.array(z.string().trim().min(1).max(1000)).max(20),
  severityAssessment: z.string().trim().min(1).max(64).nullable(),
  category: z.string().trim().min(1).max(64).nullable(),
  suggestedTeam: z.string().trim().min(1).max(100).nullable(),
  remediation: z.string().trim().min(1).max(100).nullable(),
});

export type AnalysisResult = z.output<typeof resultSchema>;

export type ParsedAnswer = { parsed: true; result: AnalysisResult } | { parsed: false; reason: string };

/** Optional words models leave empty or set to "none" when they have nothing to say. */
function optionalText(value: unknown): unknown {
  if (value === undefined || value === null) return null;
  if (typeof value === 'string' && ['', 'none', 'null', 'unknown', 'n/a'].includes(value.trim().toLowerCase())) return null;
  return value;
}

/** Models answer in snake_case or camelCase, and sometimes with a string confidence. */
function normalise(value: Record<string, unknown>): Record<string, unknown> {
  const pick = (...keys: string[]) => keys.map((k) => value[k]).find((v) => v !== undefined);
  const confidence = pick('confidence', 'confidence_score', 'confidenceScore');
  const actions = pick('suggested_actions', 'suggestedActions', 'actions');
  return {
    rootCause: pick('root_cause', 'rootCause'),
    confidence:
      typeof confidence === 'string' && confidence.trim() !== '' && !Number.isNaN(Number(confidence)) ? Number(confidence) : confidence,
    suggestedActions: typeof actions === 'string' ? [actions] : (actions ?? []),
    severityAssessment: pick('severity_assessment', 'severityAssessment', 'severity') ?? null,
    category: optionalText(pick('category')),
    suggestedTeam: optionalText(pick('suggested_team', 'suggestedTeam', 'team')),
    remediation: optionalText(pick('remediation', 'remediation_action', 'remediationAction')),
  };
}

/** Candidate JSON texts in an answer: the whole answer, fenced code blocks, then each balanced {...} span. */
function jsonCandidates(text: string): string[] {
  const candidates = [text.trim()];
  for (const fence of text.matchAll(/```(?:json)?\s*([\s\S]*?)```/gi)) candidates.push(fence[1].trim());
  for (let start = text.indexOf('{'); start >= 0; start = text.indexOf('{', start + 1)) {
    let depth = 0;
    let inString = false;
    for (let i = start; i < text.length; i += 1) {
      const c = text[i];
      if (inString) {
        if (c === '\\') i += 1;
        else if (c === '"') inString = false;
      } else if (c === '"') inString = true;
      else if (c === '{') depth += 1;
      else if (c === '}' && --depth === 0) {
        candidates.push(text.slice(start, i + 1));
        break;
      }
    }
  }
  return candidates;
}

/**
 * Finds the structured result in a model's answer, tolerating prose around the JSON and
 * code fences; the result must pass the schema (confidence 0–1, a root cause, actions). An
 * answer without one is reported with the reason, so it can be kept raw and marked.
 */
export function parseAnalysisAnswer(answer: unknown): ParsedAnswer {
  if (answer !== null && typeof answer === 'object') return validate(answer as Record<string, unknown>);
  const text = String(answer ?? '');
  if (text.trim() === '') return { parsed: false, reason: 'the answer is empty' };
  let firstProblem: string | null = null;
  for (const candidate of jsonCandidates(text)) {
    let value: unknown;
    try {
      value = JSON.parse(candidate);
    } catch {
      continue;
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue;
    const outcome = validate(value as Record<string, unknown>);
    if (outcome.parsed) return outcome;
    firstProblem ??= outcome.reason;
  }
  return { parsed: false, reason: firstProblem ?? 'no JSON object found in the answer' };
}

function validate(value: Record<string, unknown>): ParsedAnswer {
  const checked = resultSchema.safeParse(normalise(value));
  if (checked.success) return { parsed: true, result: checked.data };
  return {
    parsed: false,
    reason: `the result does not match the schema: ${zodIssues(checked.error)
      .map((i) => `${i.field}: ${i.message}`)
      .join('; ')}`,
  };
}
