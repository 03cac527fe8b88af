import {
  getNamedType,
  isCompositeType,
  isListType,
  isNonNullType,
  type DocumentNode,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import { getComplexity, type ComplexityEstimatorArgs } from 'graphql-query-complexity';

/**
 * The cost model of an operation, computed before it runs, in units of about one field resolved
 * (a few microseconds of the event loop): each field costs 1, a JSON object 5 (it is copied and
 * serialised whole); a field that goes back to the database, or out to an Alertmanager, costs
 * what its decorator says (`complexity`); lists multiply what is selected inside them by their
 * `limit`, or by an assumed size when they cannot be paged. Mutations cost more than reads.
 */
export const COST = {
  /** A field with its own resolver that reads the database once per parent (an N+1 field). */
  RESOLVED_FIELD: 10,
  /** A call to an Alertmanager replica. */
  REMOTE_CALL: 50,
  MUTATION: 10,
  /** The whole schema, described: static, but a few milliseconds to build each time. */
  INTROSPECTION: 100,
  /** A field holding a JSON object (labels, annotations, settings). */
  JSON_FIELD: 5,
} as const;

/** How many items a list that takes no `limit` is taken to hold. */
export const UNPAGED_LIST_SIZE = 25;

function isObjectList(type: GraphQLOutputType): boolean {
  const inner = isNonNullType(type) ? type.ofType : type;
  return isListType(inner) && isCompositeType(getNamedType(inner));
}

function estimate({ type, field, args, childComplexity }: ComplexityEstimatorArgs): number {
  if (field.name === '__schema') return COST.INTROSPECTION;
  if (field.name.startsWith('__') || type.name.startsWith('__')) return 0;
  const declared = field.extensions?.complexity;
  const composite = isCompositeType(getNamedType(field.type));
  const own =
    typeof declared === 'number'
      ? declared
      : type.name === 'Mutation'
        ? COST.MUTATION
        : composite
          ? 1
          : /^JSON/.test(getNamedType(field.type).name)
            ? COST.JSON_FIELD
            : 1;
  if (typeof args.limit === 'number') return own + Math.max(1, args.limit) * childComplexity;
  if (!isObjectList(field.type)) return own + childComplexity;
  // A page's items are already counted by the `limit` of the field that returned the page.
  if (type.name.endsWith('Page') && field.name === 'items') return own + childComplexity;
  return own + UNPAGED_LIST_SIZE * childComplexity;
}

/** What an operation costs under the model above; variables decide the limits it asks for. */
export function operationCost(
  schema: GraphQLSchema,
  document: DocumentNode,
  variables: Record<string, unknown> | undefined,
  operationName?: string | null,
): number {
  return getComplexity({
    schema,
    query: document,
    variables: variables ?? {},
    operationName: operationName ?? undefined,
    estimators: [estimate],
  });
}
