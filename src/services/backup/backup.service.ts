import type { Writable } from 'node:stream';
import type { MikroORM } from '@mikro-orm/core';
import { MIGRATIONS } from '../../../migrations';
import { BadUserInputError, ConflictError } from '../../errors';
import type { Logger } from '../../shared/logger';
import type { SecretBox } from '../security/secret-box';
import { inTransaction, type TransactionStatement } from '../storage/bound-sql';
import type { MigrationRunner } from '../storage/migrations';
import type { StorageMode } from '../storage/orm';
import { APP_VERSION } from '../system/system.service';
import { BackupWriter, readBackup, verifyBackup, type BackupEnd, type BackupHeader } from './backup-file';

const MIGRATIONS_TABLE = 'mikro_orm_migrations';
/** Rows read per cursor fetch while writing, and inserted per statement while restoring. */
const BATCH_ROWS = 1_000;

export interface BackupSummary {
  tables: number;
  rows: number;
  migration: string;
  sealedWith: string[];
}

export interface RestoreSummary {
  tables: number;
  rows: number;
  /** The backup's schema version, and the migrations run after loading it to reach this release's. */
  from: string;
  migratedForward: string[];
}

/** An SQL identifier in double quotes. */
export function quoted(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}

/** AlertAgent's own tables (not the migrations table), by name. */
export async function userTables(run: TransactionStatement): Promise<string[]> {
  const rows = await run(
    `select table_name as "name" from information_schema.tables where table_schema = current_schema() and table_type = 'BASE TABLE' and table_name <> '${MIGRATIONS_TABLE}' order by table_name`,
  );
  return rows.map((r) => r.name as string);
}

export interface BackupServiceDeps {
  orm: MikroORM;
  migrations: MigrationRunner;
  box: SecretBox;
  mode: StorageMode;
  logger: Logger;
}

/**
 * Backup and restore of the whole database, portable between PostgreSQL and the embedded
 * database in both directions: rows travel as PostgreSQL's own JSON of each row and come back
 * through `json_populate_recordset`, so every type round-trips as the database sees it. Sealed
 * secrets stay sealed; the file names the keys (by fingerprint) they need.
 */
export class BackupService {
  constructor(private readonly deps: BackupServiceDeps) {}

  /**
   * Writes a backup to `out` from one repeatable-read snapshot: every table as of the same moment,
   * while alerts keep arriving (on the embedded database, other queries wait until it is done).
   */
  async write(out: Writable): Promise<BackupSummary> {
    const writer = new BackupWriter(out);
    let migration = '';
    await inTransaction(this.deps.orm, async (run) => {
      await run('set transaction isolation level repeatable read, read only');
      const migrations = (await run(`select name from ${MIGRATIONS_TABLE} order by id`)).map((r) => String(r.name).replace(/\.[jt]s$/, ''));
      migration = migrations.at(-1) ?? '';
      await writer.header({
        createdAt: new Date().toISOString(),
        appVersion: APP_VERSION,
        storageMode: this.deps.mode,
        migrations,
        keys: this.deps.box.fingerprints(),
      });
      for (const table of await userTables(run)) {
        await writer.table(table);
        await run(`declare alertagent_backup no scroll cursor for select row_to_json(t)::text as "json" from ${quoted(table)} t`);
        for (;;) {
          const rows = await run(`fetch ${BATCH_ROWS} from alertagent_backup`);
          for (const row of rows) await writer.row(row.json as string);
          if (rows.length < BATCH_ROWS) break;
        }
        await run('close alertagent_backup');
      }
    });
    const end = await writer.finish();
    this.deps.logger.info({ tables: Object.keys(end.tables).length, rows: end.rows, migration }, 'backup written');
    return { tables: Object.keys(end.tables).length, rows: end.rows, migration, sealedWith: end.sealedWith };
  }

  /**
   * Restores a backup file into an empty database: checks the whole file, the schema version and
   * the encryption keys before writing anything; brings the database to the backup's schema
   * version, loads every table in one transaction, then migrates forward to this release.
   */
  async restore(file: string): Promise<RestoreSummary> {
    const { header, end } = await verifyBackup(file);
    const from = this.checkSchemaVersion(header);
    this.checkKeys(header, end);
    await this.checkEmpty();

    const { executed } = await this.deps.migrations.status();
    if (executed.length > header.migrations.length) await this.deps.migrations.downTo(from);
    else await this.deps.migrations.upTo(from);

    await inTransaction(this.deps.orm, async (run) => {
      // Foreign keys are dropped for the load and put back at the end, which checks every reference at once.
      const foreignKeys = await run(
        `select conrelid::regclass::text as "table", conname as "name", pg_get_constraintdef(oid) as "definition" from pg_constraint where contype = 'f' and connamespace = current_schema()::regnamespace`,
      );
      for (const fk of foreignKeys) await run(`alter table ${fk.table as string} drop constraint ${quoted(fk.name as string)}`);
      const tables = new Set(await userTables(run));
      let table: string | null = null;
      let batch: string[] = [];
      let loaded = 0;
      const flush = async () => {
        if (!table || batch.length === 0) return;
        try {
          await run(`insert into ${quoted(table)} select * from json_populate_recordset(null::${quoted(table)}, ?::json)`, [
            `[${batch.join(',')}]`,
          ]);
        } catch (err) {
          throw BadUserInputError.forField(
            'file',
            `${file}: rows of table ${table} do not fit this database (${(err as Error).message.split('\n')[0]})`,
          );
        }
        loaded += batch.length;
        batch = [];
      };
      for await (const entry of readBackup(file)) {
        if (entry.kind === 'table') {
          await flush();
          if (!tables.has(entry.name))
            throw BadUserInputError.forField('file', `${file} holds table ${entry.name}, which schema version ${from} does not have`);
          table = entry.name;
        } else if (entry.kind === 'row') {
          batch.push(entry.json);
          if (batch.length >= BATCH_ROWS) await flush();
        }
      }
      await flush();
      for (const fk of foreignKeys) {
        try {
          await run(`alter table ${fk.table as string} add constraint ${quoted(fk.name as string)} ${fk.definition as string}`);
        } catch (err) {
          throw BadUserInputError.forField(
            'file',
            `${file}: its rows break the reference ${fk.name as string} (${(err as Error).message.split('\n')[0]})`,
          );
        }
      }
      if (loaded !== end.rows) throw BadUserInputError.forField('file', `${file} changed while it was being restored`);
    });

    const migratedForward = await this.deps.migrations.up();
    this.deps.logger.info({ file, rows: end.rows, from, migratedForward }, 'backup restored');
    return { tables: Object.keys(end.tables).length, rows: end.rows, from, migratedForward };
  }

  /** The backup's migrations must be this release's first ones, in order: a newer release's backup is refused. */
  private checkSchemaVersion(header: BackupHeader): string {
    const known = MIGRATIONS.map((m) => m.name);
    header.migrations.forEach((name, index) => {
      if (known[index] === name) return;
      if (!known.includes(name)) {
        throw BadUserInputError.forField(
          'file',
          `the backup's schema has migration ${name}, which this release does not know: it was made by a newer AlertAgent; restore it with that release or a newer one`,
        );
      }
      throw BadUserInputError.forField(
        'file',
        `the backup's migrations are not in this release's order (${name} at position ${index + 1})`,
      );
    });
    return header.migrations.at(-1)!;
  }

  /** Every key that sealed a secret in the file must be configured here, and be the same key. */
  private checkKeys(header: BackupHeader, end: BackupEnd): void {
    const ours = new Map(this.deps.box.fingerprints().map((k) => [k.id, k.fingerprint]));
    const theirs = new Map(header.keys.map((k) => [k.id, k.fingerprint]));
    for (const kid of end.sealedWith) {
      const mine = ours.get(kid);
      if (!mine) {
        throw BadUserInputError.forField(
          'encryptionKey',
          `the backup's secrets are sealed with encryption key "${kid}", which is not configured here: set ENCRYPTION_KEY to that key with ENCRYPTION_KEY_ID=${kid}, or add ${kid}:<key> to PREVIOUS_ENCRYPTION_KEYS (for an embedded source, the key is DATA_DIR/encryption.key and its id "embedded"); nothing was written`,
        );
      }
      if (theirs.get(kid) !== mine) {
        throw BadUserInputError.forField(
          'encryptionKey',
          `the configured encryption key "${kid}" is not the key the backup's secrets were sealed with (fingerprint ${mine}, the backup's ${theirs.get(kid) ?? 'unknown'}); nothing was written`,
        );
      }
    }
  }

  private async checkEmpty(): Promise<void> {
    await inTransaction(this.deps.orm, async (run) => {
      for (const table of await userTables(run)) {
        const [{ found }] = (await run(`select exists (select 1 from ${quoted(table)}) as "found"`)) as Array<{ found: boolean }>;
        if (found) {
          throw new ConflictError(
            `the database is not empty (table ${table} has rows): restore only into an empty database, a new PostgreSQL database or a DATA_DIR that no server has started in; nothing was written`,
          );
        }
      }
    });
  }
}
