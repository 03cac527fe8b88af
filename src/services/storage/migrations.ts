import type { MikroORM } from '@mikro-orm/core';
import type { Migrator } from '@mikro-orm/migrations';

export interface MigrationStatus {
  executed: string[];
  pending: string[];
}

/** Applies, reverts and lists schema migrations; the only way the schema changes. */
export class MigrationRunner {
  constructor(private readonly orm: MikroORM) {}

  private get migrator(): Migrator {
    return this.orm.getMigrator() as Migrator;
  }

  async up(): Promise<string[]> {
    const applied = await this.migrator.up();
    return applied.map((m) => m.name);
  }

  /** Reverts `steps` migrations, newest first; `'all'` returns to an empty schema. */
  async down(steps: number | 'all' = 1): Promise<string[]> {
    if (steps === 'all') return (await this.migrator.down({ to: 0 })).map((m) => m.name);
    const { executed } = await this.status();
    const names = executed.slice(-steps).reverse();
    if (names.length === 0) return [];
    return (await this.migrator.down({ migrations: names })).map((m) => m.name);
  }

  async status(): Promise<MigrationStatus> {
    const [executed, pending] = await Promise.all([this.migrator.getExecutedMigrations(), this.migrator.getPendingMigrations()]);
    return { executed: executed.map((m) => m.name), pending: pending.map((m) => m.name) };
  }
}
