import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { MikroORM, type Options } from '@mikro-orm/core';
import { Migrator } from '@mikro-orm/migrations';
import { PostgreSqlDriver } from '@mikro-orm/postgresql';
import type * as PgliteDriverModule from 'mikro-orm-pglite' with { 'resolution-mode': 'import' };
import type { Config } from '../../config';
import { UpstreamError } from '../../errors';
import { ENTITIES } from '../../entities';
import { MIGRATIONS } from '../../../migrations';
import type { Logger } from '../../shared/logger';
import { useStructuralStatementSplit } from './pglite-statements';
import { lockDataDirectory } from './data-directory-lock';

// The package ships CommonJS at run time but types only for ESM resolution.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { PGliteDriver, PGliteKnexDialect } = require('mikro-orm-pglite') as typeof PgliteDriverModule;
useStructuralStatementSplit(PGliteKnexDialect);

export type StorageMode = 'postgres' | 'embedded';

export const EMBEDDED_DATABASE_DIR = 'pglite';

/** The database handle every repository goes through, with what must be closed after it. */
export interface Storage {
  orm: MikroORM;
  mode: StorageMode;
  close(): Promise<void>;
  ping(): Promise<void>;
}

function sharedOptions(logger: Logger): Partial<Options> {
  return {
    entities: ENTITIES,
    discovery: { disableDynamicFileAccess: true, requireEntitiesArray: true },
    extensions: [Migrator],
    migrations: {
      migrationsList: MIGRATIONS,
      tableName: 'mikro_orm_migrations',
      transactional: true,
      allOrNothing: true,
      snapshot: false,
    },
    allowGlobalContext: false,
    forceUtcTimezone: true,
    debug: false,
    logger: (message: string) => logger.debug({ orm: message }, 'orm'),
  };
}

/** Opens PostgreSQL when `database.url` is set, otherwise the embedded PGlite database under `database.dataDir`. */
export async function openStorage(config: Pick<Config, 'database'>, logger: Logger): Promise<Storage> {
  const { url, dataDir, poolMax } = config.database;
  if (url) {
    const orm = await MikroORM.init({
      ...sharedOptions(logger),
      driver: PostgreSqlDriver,
      clientUrl: url,
      pool: { min: 0, max: poolMax },
      // Connect in checkConnection below, so a failure becomes one clear message.
      connect: false,
    } as Options);
    const check = await orm.checkConnection();
    if (!check.ok) {
      await orm.close(true);
      throw new UpstreamError(`cannot connect to PostgreSQL at ${describeDatabase(url)}: ${check.reason}`);
    }
    return { orm, mode: 'postgres', close: () => orm.close(true), ping: () => pingDatabase(orm) };
  }

  // The database gets a folder of its own: PGlite initialises only into an empty directory, and the
  // data directory also holds the encryption key and the initial admin token.
  const directory = resolve(dataDir, EMBEDDED_DATABASE_DIR);
  mkdirSync(directory, { recursive: true });
  const release = lockDataDirectory(resolve(dataDir));
  let pglite: PGlite;
  try {
    pglite = await PGlite.create(directory);
  } catch (err) {
    release();
    throw err;
  }
  const orm = await MikroORM.init({
    ...sharedOptions(logger),
    driver: PGliteDriver,
    dbName: 'postgres',
    driverOptions: { connection: { pglite: () => pglite } },
  } as Options);
  return {
    orm,
    mode: 'embedded',
    ping: () => pingDatabase(orm),
    close: async () => {
      await orm.close(true);
      await pglite.close();
      release();
    },
  };
}

/** host:port/database, without credentials, for messages. */
function describeDatabase(url: string): string {
  const parsed = new URL(url);
  return `${parsed.hostname}:${parsed.port || 5432}${parsed.pathname}`;
}

async function pingDatabase(orm: MikroORM): Promise<void> {
  await orm.em.getConnection().execute('select 1');
}
