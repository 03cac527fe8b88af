import { ALERTMANAGER_WEBHOOK_PATH, GRAPHQL_PATH, HEALTHZ_PATH, METRICS_PATH, READYZ_PATH } from '../shared/paths';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ApolloServer, type ApolloServerPlugin } from '@apollo/server';
import { ApolloServerPluginCacheControlDisabled, ApolloServerPluginLandingPageDisabled } from '@apollo/server/plugin/disabled';
import { ApolloServerPluginDrainHttpServer } from '@apollo/server/plugin/drainHttpServer';
import { expressMiddleware } from '@as-integrations/express5';
import { RequestContext } from '@mikro-orm/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Config } from '../config';
import type { GraphQLContext } from '../graphql/context';
import { createErrorFormatter } from '../graphql/format-error';
import { operationLimitRules, parseOptions } from '../graphql/limits';
import { operationGuardPlugin } from '../graphql/operation-guard';
import { buildAppSchema } from '../schema/build-schema';
import type { Services } from '../services';
import type { Principal } from '../services/security/principal';
import { errorHandler, notFoundHandler } from './error-handler';
import { alertmanagerWebhook, refuseOtherMethods, webhookTarget } from './alertmanager-webhook';
import { opsRoutes } from './ops.routes';
import { sidecarRoutes } from './sidecar.routes';
import { ackRoutes } from './ack.routes';
import { analysisRoutes } from './analysis.routes';
import { backupRoutes } from './backup.routes';
import { consoleDirectory, consoleRoutes } from './console.routes';
import { requestContext } from './request-context';
import { clientAddress } from './client-address';
import { guardConnections } from './connection-guard';
import { serveSubscriptions } from './graphql-ws';
import { SubscriptionProcess, subscriptionPlacement } from './subscription-process';

const KNOWN_ROUTES = new Set([GRAPHQL_PATH, HEALTHZ_PATH, READYZ_PATH, METRICS_PATH, ALERTMANAGER_WEBHOOK_PATH]);

export interface RunningServer {
  url: string;
  port: number;
  httpServer: Server;
  /** Passes a log level reloaded from the config file on to the processes this server started. */
  applyLogLevel(level: Config['log']['level']): void;
  stop(): Promise<void>;
}

declare module 'express-serve-static-core' {
  interface Request {
    principal: Principal | null;
  }
}

/** Serves GraphQL (HTTP and graphql-ws on one path) and the operational routes on one port. */
export async function startServer(services: Services, port = services.config.server.port): Promise<RunningServer> {
  const { config, logger, metrics, auth, requestLimits } = services;
  // The subscription process starts (builds its own services and schema) while this one builds its schema.
  const childStarting = subscriptionPlacement(config) === 'own' ? SubscriptionProcess.start(config, logger) : null;
  const [schema, subscriptionProcess] = await Promise.all([buildAppSchema(services), childStarting]);
  const rules = operationLimitRules(config.graphql);
  const formatError = createErrorFormatter(logger, (code) => metrics.graphqlErrors.inc({ code }));
  const addresses = clientAddress(config.server.trustProxy);

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', addresses.trust);
  app.use(requestContext(logger, config.server.requestIdHeader));
  app.use(httpMetrics(services));
  if (subscriptionProcess) services.system.addDegradations(() => subscriptionProcess.degradations());
  app.use(
    opsRoutes(services.system, metrics, config.server.metricsToken, subscriptionProcess ? () => subscriptionProcess.metrics() : undefined),
  );
  app.use(ormContext(services), sidecarRoutes(services.clusters, services.rules, metrics));
  app.use(ormContext(services), analysisRoutes(services.analysisRunner));
  app.use(ormContext(services), ackRoutes(services.acks, logger));
  const consoleDir = consoleDirectory();
  app.use(consoleRoutes(GRAPHQL_PATH, consoleDir));
  app.use(ormContext(services), backupRoutes(auth, services.backup, services.audit, logger));

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
    else if (!refuseOtherMethods(req, res)) app(req, res);
  });
  guardConnections(httpServer, config.server, logger);
  const subscriptions = subscriptionProcess
    ? subscriptionProcess.serve(httpServer, GRAPHQL_PATH)
    : serveSubscriptions(httpServer, GRAPHQL_PATH, {
        services,
        schema,
        rules,
        formatError,
        limits: requestLimits,
        clientAddress: addresses.of,
      });

  const apollo = new ApolloServer<GraphQLContext>({
    schema,
    introspection: config.graphql.introspection,
    validationRules: rules,
    parseOptions: parseOptions(config.graphql),
    includeStacktraceInErrorResponses: false,
    // The CLI owns shutdown (HTTP, then workers, then storage); Apollo's own handler would race it.
    stopOnTerminationSignals: false,
    formatError,
    plugins: [
      ApolloServerPluginDrainHttpServer({ httpServer }),
      // Nothing here is cacheable by HTTP caches, and its per-field hook doubled the cost of long lists.
      ApolloServerPluginCacheControlDisabled(),
      // Browsers get our own explorer (console.routes): Apollo's landing page loads its code from a CDN.
      ApolloServerPluginLandingPageDisabled(),
      { serverWillStart: async () => ({ drainServer: async () => void (await subscriptions.dispose()) }) },
      operationGuardPlugin(schema, requestLimits),
      operationMetrics(services),
    ],
  });
  await apollo.start();

  app.use(
    GRAPHQL_PATH,
    // Counted per client address before the body is even read.
    (req: Request, _res: Response, next: NextFunction) => void requestLimits.admitRequest(req.ip ?? 'unknown').then(() => next(), next),
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
      context: async ({ req }) => ({
        requestId: req.id,
        principal: req.principal,
        logger: req.log,
        clientIp: req.ip ?? 'unknown',
        deadline: Date.now() + config.graphql.timeoutMs,
        readTurn: (read) => requestLimits.readTurn(read),
        visibleClusters: () => services.clusters.namesInScope(req.principal),
        visibleChannels: async () => (req.principal ? services.channels.visibleChannelIds(req.principal) : null),
        recordDenied: (field: string, permission: string) =>
          services.audit.change({ principal: req.principal!, requestId: req.id }, async (record) =>
            record('access.denied', 'mutation', field, { permission, clientIp: req.ip ?? null }),
          ),
      }),
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
  const base = `http://${host}:${actualPort}`;
  const consoleAt = consoleDir ? `console at ${base}/, ` : 'console not built (npm run build), ';
  logger.info({ port: actualPort, mode: services.storage.mode }, `AlertAgent ${consoleAt}GraphQL at ${base}${GRAPHQL_PATH}`);

  return {
    url: `http://${host}:${actualPort}${GRAPHQL_PATH}`,
    port: actualPort,
    httpServer,
    applyLogLevel: (level) => subscriptionProcess?.setLogLevel(level),
    stop: async () => {
      await apollo.stop();
      subscriptions.close();
      webhook.close();
    },
  };
}

/** One entity-manager context per request, for routes that reach the database. */
function ormContext(services: Services) {
  return (_req: Request, _res: Response, next: NextFunction) => RequestContext.create(services.storage.orm.em, next);
}

function httpMetrics(services: Services) {
  return (req: Request, res: Response, next: NextFunction): void => {
    const stop = services.metrics.httpRequestDuration.startTimer();
    res.on('finish', () => {
      const route = KNOWN_ROUTES.has(req.path)
        ? req.path
        : req.path.startsWith(`${ALERTMANAGER_WEBHOOK_PATH}/`)
          ? `${ALERTMANAGER_WEBHOOK_PATH}/:cluster`
          : 'other';
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
