import type { z } from 'zod';
import { BadUserInputError } from './bad-user-input.error';
import type { FieldIssue } from './app-error';

/** Turns a zod failure into field issues with dotted paths under `prefix`. */
export function zodIssues(error: z.ZodError, prefix = ''): FieldIssue[] {
  return error.issues.map((issue) => {
    const path = issue.path.map(String).join('.');
    const field = [prefix, path].filter(Boolean).join('.') || '(root)';
    return { field, message: issue.message };
  });
}

/** Parses `input` with `schema` or throws a BadUserInputError naming every bad field. */
export function parseInput<S extends z.ZodType>(schema: S, input: unknown, prefix = ''): z.output<S> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const issues = zodIssues(result.error, prefix);
  throw new BadUserInputError(issues.map((i) => `${i.field}: ${i.message}`).join('; '), issues);
}
