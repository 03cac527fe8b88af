import {
  getNullableType,
  getOperationAST,
  isInputObjectType,
  isListType,
  isScalarType,
  Kind,
  TypeInfo,
  valueFromAST,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type GraphQLInputType,
  type GraphQLSchema,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { BadUserInputError } from '../errors';
import { findUnstorable, unstorableText } from '../services/shared/storable-json';

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
      if (inner.name === 'ID' && !UUID.test(value))
        return { path, message: `expected an id (a UUID), got ${JSON.stringify(value.slice(0, 80))}` };
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
 * Refuses, once per operation and before any resolver runs, arguments that could never be stored
 * or found: ids that are not UUIDs, strings with NUL characters or unpaired surrogates, JSON
 * nested too deep. Each is BAD_USER_INPUT naming the argument, not a database error answered as
 * INTERNAL. Values that do not fit their type at all are left to GraphQL's own coercion errors.
 */
export function assertStorableArguments(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): void {
  // Variables as GraphQL will coerce them (a number sent for an ID becomes its string); ones that do not coerce are its to report.
  const operation = getOperationAST(document, operationName);
  const coerced = operation ? getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {}) : null;
  if (!coerced || coerced.errors) return;
  const values = coerced.coerced;
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Argument(node) {
        const argument = typeInfo.getArgument();
        if (!argument || typeInfo.getDirective()) return;
        const value = node.value.kind === Kind.VARIABLE ? values[node.value.name.value] : valueFromAST(node.value, argument.type, values);
        const found = problem(value, argument.type, argument.name);
        if (found) throw BadUserInputError.forField(found.path, found.message);
      },
    }),
  );
}
