import type { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';
import { Client } from 'pg';

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

/** The advisory lock every AlertAgent process takes to change the schema ("ALER", "MIGR"). */
const MIGRATION_LOCK: [number, number] = [0x414c4552, 0x4d494752];

/** Where to wait for the lock, and what to say while waiting; none for the embedded database (one process owns it). */
export interface MigrationLock {
  databaseUrl: string;
  onWait?: () => void;
}

/**
 * Applies, reverts and lists schema migrations; the only way the schema changes. On PostgreSQL,
 * changes run under a session advisory lock on a connection of their own, so replicas started
 * together wait for the first one's migrations and then find nothing pending.
 */
export class MigrationRunner {
  constructor(
    private readonly orm: MikroORM,
    private readonly lock: MigrationLock | null = null,
  ) {}

  private get migrator(): Migrator {
    return this.orm.getMigrator() as Migrator;
  }

  up(): Promise<string[]> {
    return this.exclusively(async () => (await this.migrator.up()).map((m) => m.name));
  }

  /** Applies pending migrations up to and including `name` (a restore brings a database to its backup's version first). */
  upTo(name: string): Promise<string[]> {
    return this.exclusively(async () => (await this.migrator.up({ to: name })).map((m) => m.name));
  }

  /** Reverts migrations newer than `name`; `name` stays applied. */
  downTo(name: string): Promise<string[]> {
    return this.exclusively(async () => (await this.migrator.down({ to: name })).map((m) => m.name));
  }

  /** Reverts `steps` migrations, newest first; `'all'` returns to an empty schema. */
  down(steps: number | 'all' = 1): Promise<string[]> {
    return this.exclusively(async () => {
      if (steps === 'all') return (await this.migrator.down({ to: 0 })).map((m) => m.name);
      const { executed } = await this.status();
      const names = executed.slice(-steps).reverse();
      if (names.length === 0) return [];
      return (await this.migrator.down({ migrations: names })).map((m) => m.name);
    });
  }

  async status(): Promise<MigrationStatus> {
    // One after the other: on a new database each creates the migrations table, and together they collide.
    const executed = await this.migrator.getExecutedMigrations();
    const pending = await this.migrator.getPendingMigrations();
    return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
  }

  private async exclusively<T>(work: () => Promise<T>): Promise<T> {
    if (!this.lock) return work();
    // A connection of its own: the lock lives as long as its session, apart from the pool the migrator uses.
    const client = new Client({ connectionString: this.lock.databaseUrl });
    await client.connect();
    try {
      const [first, second] = MIGRATION_LOCK;
      const taken = (await client.query('select pg_try_advisory_lock($1, $2) as "taken"', [first, second])).rows[0].taken as boolean;
      if (!taken) {
        this.lock.onWait?.();
        await client.query('select pg_advisory_lock($1, $2)', [first, second]);
      }
      try {
        return await work();
      } finally {
        await client.query('select pg_advisory_unlock($1, $2)', [first, second]);
      }
    } finally {
      await client.end();
    }
  }
}
