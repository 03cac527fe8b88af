import type { ApolloServerPlugin } from '@apollo/server';
import { GraphQLError, type DocumentNode, type GraphQLSchema, type OperationTypeNode } from 'graphql';
import type { MiddlewareFn } from 'type-graphql';
import { AppError, OperationTimeoutError, RateLimitedError, UnauthenticatedError } from '../errors';
import type { Caller, RequestLimits } from '../services/security/request-limits';
import type { GraphQLContext } from './context';
import { operationCost } from './cost';
import { assertStorableArguments } from './input-guard';

/** An AppError as graphql-js and Apollo want it, with the HTTP status (and Retry-After) it stands for. */
export function asGraphQLError(error: AppError): GraphQLError {
  const headers = new Map<string, string>();
  if (error instanceof RateLimitedError && error.retryAfterSeconds !== undefined)
    headers.set('retry-after', String(error.retryAfterSeconds));
  return new GraphQLError(error.message, {
    originalError: error,
    extensions: { ...error.details, code: error.code, http: { status: error.httpStatus, headers } },
  });
}

/**
 * Admits one operation: refuses it when it costs more than the caller's role may spend at once,
 * then spends its cost from the caller's budget and takes a running slot (not for subscriptions,
 * which live long and cost nothing while idle). Returns the slot's release.
 */
export async function admitOperation(
  schema: GraphQLSchema,
  limits: RequestLimits,
  caller: Caller,
  operation: {
    document: DocumentNode;
    variables?: Record<string, unknown>;
    operationName?: string | null;
    type: OperationTypeNode | undefined;
  },
): Promise<() => void> {
  try {
    assertStorableArguments(schema, operation.document, operation.variables, operation.operationName);
  } catch (err) {
    throw err instanceof AppError ? asGraphQLError(err) : err;
  }
  let cost: number;
  try {
    cost = operationCost(schema, operation.document, operation.variables, operation.operationName);
  } catch {
    // Variables that do not fit the operation: it will not run, and execution says why (BAD_USER_INPUT).
    return () => {};
  }
  const max = limits.costLimit(caller.principal);
  if (cost > max && !caller.principal) {
    throw asGraphQLError(
      new UnauthenticatedError(
        `without a token an operation may cost at most ${max} (health and version); this one costs ${cost}: send a bearer token`,
      ),
    );
  }
  if (cost > max) {
    throw new GraphQLError(
      `this operation costs ${cost}; the ${caller.principal!.role} role may spend at most ${max} on one (ask for fewer items, or fewer fields that load their own data)`,
      { extensions: { code: 'GRAPHQL_VALIDATION_FAILED', http: { status: 400 } } },
    );
  }
  try {
    if (operation.type === 'subscription') {
      (await limits.admitOperation(caller, cost))();
      return () => {};
    }
    return await limits.admitOperation(caller, cost);
  } catch (err) {
    throw err instanceof AppError ? asGraphQLError(err) : err;
  }
}

/** The Apollo side of the guard: every HTTP operation is admitted before it runs and frees its slot when answered. */
export function operationGuardPlugin(schema: GraphQLSchema, limits: RequestLimits): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      let release: (() => void) | null = null;
      return {
        async didResolveOperation({ request, document, contextValue, operation }) {
          // Over HTTP a subscription would run once as a query, against resolvers made for events.
          if (operation?.operation === 'subscription') {
            throw new GraphQLError('subscriptions are served over graphql-ws (WebSocket) on this same path, not over HTTP', {
              extensions: { code: 'BAD_REQUEST', http: { status: 400 } },
            });
          }
          release = await admitOperation(
            schema,
            limits,
            { principal: contextValue.principal, ip: contextValue.clientIp },
            {
              document,
              variables: request.variables,
              operationName: request.operationName,
              type: operation?.operation,
            },
          );
        },
        async willSendResponse() {
          release?.();
        },
      };
    },
  };
}

/**
 * Resolvers that would start after the operation's deadline do not run; what already ran is
 * answered. Top-level query fields take read turns (see RequestLimits.readTurn).
 */
export const deadlineMiddleware: MiddlewareFn<GraphQLContext> = ({ context, info }, next) => {
  const start = () => {
    if (context.deadline !== undefined && Date.now() > context.deadline) {
      throw new OperationTimeoutError(`the operation ran past its time limit before ${info.parentType.name}.${info.fieldName} could start`);
    }
    return next();
  };
  return context.readTurn && info.parentType === info.schema.getQueryType() ? context.readTurn(start) : start();
};
