import { getNullableType, isInputObjectType, isListType, isScalarType, type GraphQLInputType } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { BadUserInputError } from '../errors';
import { findUnstorable, unstorableText } from '../services/shared/storable-json';
import type { GraphQLContext } from './context';

/** Every id AlertAgent hands out is a UUID. */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** What is wrong with one argument value of this type, with the path to it; null when nothing is. */
function problem(value: unknown, type: GraphQLInputType, path: string): { path: string; message: string } | null {
  if (value === null || value === undefined) return null;
  const inner = getNullableType(type);
  if (isListType(inner)) {
    if (!Array.isArray(value)) return problem(value, inner.ofType, path);
    for (let i = 0; i < value.length; i += 1) {
      const found = problem(value[i], inner.ofType, `${path}.${i}`);
      if (found) return found;
    }
    return null;
  }
  if (isInputObjectType(inner)) {
    const fields = inner.getFields();
    for (const [name, field] of Object.entries(fields)) {
      const found = problem((value as Record<string, unknown>)[name], field.type, `${path}.${name}`);
      if (found) return found;
    }
    return null;
  }
  if (isScalarType(inner)) {
    if (typeof value === 'string') {
      const text = unstorableText(value);
      if (text) return { path, message: text };
      if (inner.name === 'ID' && !UUID.test(value)) return { path, message: `expected an id (a UUID), got ${JSON.stringify(value.slice(0, 80))}` };
      return null;
    }
    if (typeof value === 'object') {
      const found = findUnstorable(value);
      return found ? { path: found.path ? `${path}.${found.path}` : path, message: found.problem } : null;
    }
  }
  return null;
}

/**
 * Refuses, before any resolver runs, arguments that could never be stored or found: ids that are
 * not UUIDs, strings with NUL characters or unpaired surrogates, JSON nested too deep. Each is
 * BAD_USER_INPUT naming the argument, not a database error answered as INTERNAL.
 */
export const inputGuardMiddleware: MiddlewareFn<GraphQLContext> = ({ args, info }, next) => {
  const definitions = info.parentType.getFields()[info.fieldName]?.args ?? [];
  for (const definition of definitions) {
    const found = problem(args[definition.name], definition.type, definition.name);
    if (found) throw BadUserInputError.forField(found.path, found.message);
  }
  return next();
};
