import { unwrapResolverError } from '@apollo/server/errors';
import { GraphQLError, type GraphQLFormattedError } from 'graphql';
import { AppError } from '../errors';
import type { Logger } from '../shared/logger';

/** Codes produced by graphql-js, Apollo and type-graphql whose messages are safe to show. */
const PASS_THROUGH_CODES = new Set([
  'GRAPHQL_PARSE_FAILED',
  'GRAPHQL_VALIDATION_FAILED',
  'BAD_USER_INPUT',
  'BAD_REQUEST',
  'PERSISTED_QUERY_NOT_FOUND',
  'PERSISTED_QUERY_NOT_SUPPORTED',
  'OPERATION_RESOLUTION_FAILURE',
  'UNAUTHENTICATED',
]);

/**
 * The only place a GraphQL error becomes a client response: our AppErrors and the GraphQL
 * stack's own input errors keep their message and code; anything else is logged with its stack
 * and answered as INTERNAL without details.
 */
export function createErrorFormatter(logger: Logger, onCode: (code: string) => void = () => {}) {
  return (formatted: GraphQLFormattedError, error: unknown): GraphQLFormattedError => {
    const unwrapped = unwrapResolverError(error);
    // Errors raised before execution (admission, limits) arrive wrapped in a GraphQLError of their own.
    const original = unwrapped instanceof GraphQLError && unwrapped.originalError instanceof AppError ? unwrapped.originalError : unwrapped;
    if (original instanceof AppError) {
      onCode(original.code);
      return {
        message: original.message,
        locations: formatted.locations,
        path: formatted.path,
        extensions: { ...original.details, code: original.code },
      };
    }
    const code = formatted.extensions?.code;
    if (typeof code === 'string' && PASS_THROUGH_CODES.has(code)) {
      onCode(code);
      return { message: formatted.message, locations: formatted.locations, path: formatted.path, extensions: { code } };
    }
    // graphql-js's own errors carry no code and are the caller's fault: validation before execution,
    // argument coercion (a null for a non-null argument) during it.
    if (original instanceof GraphQLError && original.originalError === undefined) {
      const code = formatted.path ? 'BAD_USER_INPUT' : 'GRAPHQL_VALIDATION_FAILED';
      onCode(code);
      return { ...formatted, extensions: { code } };
    }
    onCode('INTERNAL');
    logger.error({ err: original, path: formatted.path }, 'unexpected error in a GraphQL operation');
    return { message: 'Internal server error', locations: formatted.locations, path: formatted.path, extensions: { code: 'INTERNAL' } };
  };
}
