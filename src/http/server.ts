import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { RequestContext } from '@mikro-orm/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import {
  execute,
  GraphQLError,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type ExecutionArgs,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer } from 'ws';
import { UnauthenticatedError } from '../errors';
import type { GraphQLContext } from '../graphql/context';
import { createErrorFormatter } from '../graphql/format-error';
import { buildAppSchema } from '../schema/build-schema';
import type { Services } from '../services';
import type { Principal } from '../services/security/principal';
import { errorHandler, notFoundHandler } from './error-handler';
import { ALERTMANAGER_WEBHOOK_PATH, alertmanagerWebhook, webhookTarget } from './alertmanager-webhook';
import { opsRoutes } from './ops.routes';
import { sidecarRoutes } from './sidecar.routes';
import { analysisRoutes } from './analysis.routes';
import { requestContext } from './request-context';

export const GRAPHQL_PATH = '/graphql';
const KNOWN_ROUTES = new Set([GRAPHQL_PATH, '/healthz', '/readyz', '/metrics', ALERTMANAGER_WEBHOOK_PATH]);

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  stop(): Promise<void>;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal: Principal | null;
  }
}

/** Serves GraphQL (HTTP and graphql-ws on one path) and the operational routes on one port. */
export async function startServer(services: Services, port = services.config.server.port): Promise<RunningServer> {
  const { config, logger, metrics, auth } = services;
  const schema = await buildAppSchema(services);
  const depthRule = depthLimitRule(config.graphql.maxDepth);
  const formatError = createErrorFormatter(logger, (code) => metrics.graphqlErrors.inc({ code }));

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  app.use(requestContext(logger, config.server.requestIdHeader));
  app.use(httpMetrics(services));
  app.use(opsRoutes(services.system, metrics));
  app.use(ormContext(services), sidecarRoutes(services.clusters, services.rules, metrics));
  app.use(ormContext(services), analysisRoutes(services.analysis));

  const webhook = alertmanagerWebhook({
    orm: services.storage.orm,
    gateway: services.gateway,
    auth,
    clusters: services.clusters,
    metrics,
    logger,
    bodyLimitBytes: config.gateway.bodyLimitBytes,
    requestIdHeader: config.server.requestIdHeader,
    credentialCacheMs: config.gateway.credentialCacheMs,
    events: services.events,
  });
  // The webhook is answered before Express sees the request: it is the hottest route, and needs none of it.
  const httpServer = createServer((req, res) => {
    const target = webhookTarget(req.method, req.url);
    if (target) void webhook.handle(req, res, target);
    else app(req, res);
  });
  const wsServer = new WebSocketServer({ server: httpServer, path: GRAPHQL_PATH, maxPayload: config.server.bodyLimitBytes });
  const wsCleanup = serveSubscriptions(services, schema, wsServer, depthRule, formatError);

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.graphql.introspection,
    validationRules: [depthRule],
    includeStacktraceInErrorResponses: false,
    // The CLI owns shutdown (HTTP, then workers, then storage); Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      { serverWillStart: async () => ({ drainServer: async () => void (await wsCleanup.dispose()) }) },
      operationMetrics(services),
    ],
  });
  await apollo.start();

  app.use(
    GRAPHQL_PATH,
    express.json({ limit: config.server.bodyLimitBytes }),
    ormContext(services),
    async (req: Request, _res: Response, next: NextFunction) => {
      try {
        req.principal = await auth.authenticate(req.header('authorization'));
        next();
      } catch (err) {
        next(err);
      }
    },
    expressMiddleware(apollo, {
      context: async ({ req }) => ({ requestId: req.id, principal: req.principal, logger: req.log }),
    }),
  );
  app.use(notFoundHandler);
  app.use(errorHandler);

  await new Promise<void>((resolve, reject) => {
    httpServer.once('error', reject);
    httpServer.listen(port, config.server.host, () => resolve());
  });
  const actualPort = (httpServer.address() as AddressInfo).port;
  services.publicUrl.useListeningPort(actualPort);
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
  logger.info({ port: actualPort, mode: services.storage.mode }, `AlertAgent GraphQL at http://${host}:${actualPort}${GRAPHQL_PATH}`);

  return {
    url: `http://${host}:${actualPort}${GRAPHQL_PATH}`,
    port: actualPort,
    httpServer,
    stop: async () => {
      await apollo.stop();
      wsServer.close();
      webhook.close();
    },
  };
}

type WsExtra = { principal: Principal | null };

/** graphql-ws on the same path: the same schema, auth, depth limit and error formatting as HTTP. */
function serveSubscriptions(
  services: Services,
  schema: GraphQLSchema,
  wsServer: WebSocketServer,
  depthRule: ValidationRule,
  formatError: ReturnType<typeof createErrorFormatter>,
) {
  const { auth, logger, storage } = services;
  // graphql-ws insists on GraphQLError instances, so the formatted message and code are put back into one.
  const format = (errors: readonly GraphQLError[]): GraphQLError[] =>
    errors.map((error) => {
      const formatted = formatError(error.toJSON(), error);
      return new GraphQLError(formatted.message, {
        nodes: error.nodes,
        source: error.source,
        positions: error.positions,
        path: error.path,
        extensions: formatted.extensions,
      });
    });
  const withOrmContext = <T>(fn: () => T): T => RequestContext.create(storage.orm.em, fn);

  return useServer<Record<string, unknown> | undefined, WsExtra>(
    {
      schema,
      onConnect: async (ctx) => {
        const params = ctx.connectionParams ?? {};
        const header = params.authorization ?? params.Authorization;
        try {
          ctx.extra.principal = await withOrmContext(() => auth.authenticate(typeof header === 'string' ? header : undefined));
          return true;
        } catch (err) {
          if (err instanceof UnauthenticatedError) return false;
          logger.error({ err }, 'graphql-ws connection check failed');
          return false;
        }
      },
      onSubscribe: (ctx, _id, payload) => {
        let document;
        try {
          document = parse(payload.query);
        } catch (err) {
          return format([err as GraphQLError]);
        }
        const errors = validate(schema, document, [...specifiedRules, depthRule]);
        if (errors.length > 0) return format(errors);
        const requestId = `ws-${crypto.randomUUID()}`;
        const contextValue: GraphQLContext = {
          requestId,
          principal: ctx.extra.principal ?? null,
          logger: logger.child({ requestId }),
        };
        const args: ExecutionArgs = {
          schema,
          document,
          operationName: payload.operationName,
          variableValues: payload.variables,
          contextValue,
        };
        return args;
      },
      execute: (args) => withOrmContext(() => execute(args)),
      subscribe: (args) => withOrmContext(() => subscribe(args)),
      onNext: (_ctx, _id, _payload, _args, result) => {
        if (!('errors' in result) || !result.errors) return result;
        return { ...result, errors: format(result.errors) };
      },
      onError: (_ctx, _id, _payload, errors) => format(errors),
    },
    wsServer,
  );
}

/**
 * graphql-armor's depth rule, made to report like every other validation rule: by default it
 * throws, which Apollo would answer as an internal error.
 */
function depthLimitRule(maxDepth: number): ValidationRule {
  return maxDepthRule({
    n: maxDepth,
    ignoreIntrospection: true,
    flattenFragments: true,
    propagateOnRejection: false,
    onReject: [
      (context, error) =>
        context?.reportError(new GraphQLError(error.message.replace(/^Syntax Error: /, ''), { extensions: { code: 'GRAPHQL_VALIDATION_FAILED' } })),
    ],
  }) as unknown as ValidationRule;
}

/** One entity-manager context per request, for routes that reach the database. */
function ormContext(services: Services) {
  return (_req: Request, _res: Response, next: NextFunction) => RequestContext.create(services.storage.orm.em, next);
}

function httpMetrics(services: Services) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = services.metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const route = KNOWN_ROUTES.has(req.path) ? req.path : req.path.startsWith(`${ALERTMANAGER_WEBHOOK_PATH}/`) ? `${ALERTMANAGER_WEBHOOK_PATH}/:cluster` : 'other';
      stop({ method: req.method, route, status: String(res.statusCode) });
    });
    next();
  };
}

/** Times each operation by type and first root field; field names are bounded by the schema, unlike operation names. */
function operationMetrics(services: Services): ApolloServerPlugin<GraphQLContext> {
  return {
    async requestDidStart() {
      const started = performance.now();
      return {
        async willSendResponse({ operation, errors }) {
          const selection = operation?.selectionSet.selections[0];
          const field = selection?.kind === 'Field' ? selection.name.value : 'unknown';
          services.metrics.graphqlOperationDuration.observe(
            { type: operation?.operation ?? 'invalid', name: field, outcome: errors?.length ? 'error' : 'ok' },
            (performance.now() - started) / 1000,
          );
        },
      };
    },
  };
}
