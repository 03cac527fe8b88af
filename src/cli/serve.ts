import { RequestContext } from '@mikro-orm/core';
import { loadConfig, type Config } from '../config';
import { startServer, type RunningServer } from '../http/server';
import { createServices, type Services } from '../services';
import { ensureDefaultRoute } from '../services/gateway/default-route';
import { createLogger, setLogLevel, type Logger } from '../shared/logger';
import { watchFileChanges } from '../services/shared/file-watcher';

export interface ServeOptions {
  config: Config;
  configFile?: string;
  logger?: Logger;
  /** Port override (0 = any free port), used by tests and benchmarks. */
  port?: number;
}

export interface ServeHandle {
  services: Services;
  server: RunningServer;
  stop(): Promise<void>;
}

/** Starts everything `alertagent serve` runs: migrations, services, background work, the HTTP server, config reload. */
export async function serve(options: ServeOptions): Promise<ServeHandle> {
  const { config } = options;
  const logger = options.logger ?? createLogger(config.log.level);
  const services = await createServices(config, { logger, role: 'serve' });
  try {
    if (config.database.autoMigrate) {
      const applied = await services.migrations.up();
      if (applied.length > 0) logger.info({ applied }, 'applied database migrations');
    } else {
      const { pending } = await services.migrations.status();
      if (pending.length > 0) logger.warn({ pending }, 'database has pending migrations; run `alertagent migrate up`');
    }
    if (services.storage.mode === 'embedded' && !config.auth.bootstrapToken) {
      await RequestContext.create(services.storage.orm.em, () => services.apiTokens.ensureInitialAdminToken(config.database.dataDir));
    }
    // In production nothing is written to the replica's disk; the log says how to get in instead.
    if (
      services.storage.mode === 'postgres' &&
      !config.auth.bootstrapToken &&
      !config.auth.jwtSecret &&
      !(await RequestContext.create(services.storage.orm.em, () => services.apiTokens.hasUsableAdmin()))
    ) {
      logger.warn(
        { firstAdmin: 'alertagent token create --name admin --role admin' },
        'no admin can sign in yet: run `alertagent token create --name admin --role admin` with this DATABASE_URL and ENCRYPTION_KEY (it prints the token once), or set AUTH_BOOTSTRAP_TOKEN',
      );
    }
    await RequestContext.create(services.storage.orm.em, () =>
      ensureDefaultRoute(services.routes, services.channels, config.gateway.defaultRouteWebhookUrl, logger),
    );
    await services.start();
    const server = await startServer(services, options.port);
    const stopWatching = options.configFile ? watchConfig(options.configFile, logger, (level) => server.applyLogLevel(level)) : () => {};
    return {
      services,
      server,
      stop: async () => {
        stopWatching();
        await server.stop();
        await services.close();
      },
    };
  } catch (err) {
    await services.close().catch(() => {});
    throw err;
  }
}

/** Applies the settings that are safe to change at run time; a bad edit is logged and ignored. */
function watchConfig(file: string, logger: Logger, applyLogLevel: (level: Config['log']['level']) => void): () => void {
  return watchFileChanges(file, () => {
    try {
      const next = loadConfig({ file });
      setLogLevel(logger, next.log.level);
      applyLogLevel(next.log.level);
      logger.info({ file, logLevel: next.log.level }, 'configuration reloaded');
    } catch (err) {
      logger.error({ file, problem: (err as Error).message }, 'configuration change rejected; keeping the running values');
    }
  });
}
