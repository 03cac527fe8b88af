import { createServer, IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { Config } from '../config';
import { createErrorFormatter } from '../graphql/format-error';
import { operationLimitRules } from '../graphql/limits';
import { buildAppSchema } from '../schema/build-schema';
import { createServices, type Services } from '../services';
import { createLogger, setLogLevel, type Logger } from '../shared/logger';
import { GRAPHQL_PATH } from '../shared/paths';
import { clientAddress } from './client-address';
import { serveSubscriptions } from './graphql-ws';
import type { FromSubscriptionProcess, ToSubscriptionProcess } from './subscription-process';

/** Database connections the subscription process needs: authentication and the odd query sent over graphql-ws. */
const POOL_MOST = 4;

/**
 * The subscription process (see SubscriptionProcess): started by `alertagent serve`, it builds the
 * services like a replica that runs no background work, and serves graphql-ws on the sockets the
 * serve process hands over. It ends when told to or when the serve process goes away.
 */
function main(): void {
  let services: Services | null = null;
  let subscriptions: ReturnType<typeof serveSubscriptions> | null = null;
  let logger: Logger | null = null;
  const server = createServer();
  const tell = (message: FromSubscriptionProcess) => process.send?.(message);

  const start = async (config: Config) => {
    const log = createLogger(config.log.level, { process: 'subscriptions' });
    logger = log;
    const settings: Config = { ...config, database: { ...config.database, poolMax: Math.min(config.database.poolMax, POOL_MOST) } };
    services = await createServices(settings, { logger: log, role: 'subscriptions' });
    const formatError = createErrorFormatter(log, (code) => services!.metrics.graphqlErrors.inc({ code }));
    subscriptions = serveSubscriptions(server, GRAPHQL_PATH, {
      services,
      schema: await buildAppSchema(services),
      rules: operationLimitRules(config.graphql),
      formatError,
      limits: services.requestLimits,
      clientAddress: clientAddress(config.server.trustProxy).of,
    });
  };

  const stop = async (code: number) => {
    await subscriptions?.dispose().catch(() => {});
    await services?.close().catch(() => {});
    process.exit(code);
  };

  process.on('message', (message: ToSubscriptionProcess, handle?: Socket) => {
    switch (message.type) {
      case 'start':
        start(message.config).then(
          () => tell({ type: 'ready' }),
          (err: Error) => {
            tell({ type: 'failed', problem: err.message });
            void stop(1);
          },
        );
        break;
      case 'upgrade': {
        if (!handle) return;
        // The request line and headers were read by the serve process; ws needs them as a request.
        const req = new IncomingMessage(handle);
        req.method = message.method;
        req.url = message.url;
        req.headers = message.headers;
        server.emit('upgrade', req, handle, Buffer.from(message.head, 'base64'));
        break;
      }
      case 'metrics':
        void services?.metrics.registry.getMetricsAsJSON().then((metrics) => tell({ type: 'metrics', id: message.id, metrics }));
        break;
      case 'log-level':
        if (!logger) break;
        setLogLevel(logger, message.level);
        logger.info({ logLevel: message.level }, 'configuration reloaded');
        break;
      case 'stop':
        void stop(0);
        break;
    }
  });
  // The serve process is gone (crashed or killed): nobody can hand sockets over any more.
  process.on('disconnect', () => void stop(0));
  process.on('SIGTERM', () => {});
  process.on('SIGINT', () => {});
}

main();
