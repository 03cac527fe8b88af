import type { MikroORM } from '@mikro-orm/core';
import { MIGRATIONS } from '../../../migrations';
import { createLogger } from '../../../src/shared/logger';
import { MigrationRunner } from '../../../src/services/storage/migrations';
import { openStorage, type Storage } from '../../../src/services/storage/orm';
import { createTestDatabase, type TestDatabase } from '../../support/postgres';

/** Everything that makes up the schema, as text, so two states can be compared. */
async function schemaSnapshot(orm: MikroORM): Promise<string[]> {
  const connection = orm.em.getConnection();
  const columns = await connection.execute(
    `select table_name, column_name, data_type, is_nullable, coalesce(character_maximum_length, 0) as len, column_default
       from information_schema.columns where table_schema = 'public' order by table_name, column_name`,
  );
  const indexes = await connection.execute(`select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`);
  const constraints = await connection.execute(
    `select conname, pg_get_constraintdef(oid) as def from pg_constraint
      where connamespace = 'public'::regnamespace order by conname`,
  );
  return [...columns, ...indexes, ...constraints].map((row) => JSON.stringify(row));
}

describe('migrations on PostgreSQL', () => {
  let db: TestDatabase;
  let storage: Storage;
  let runner: MigrationRunner;

  beforeAll(async () => {
    db = await createTestDatabase();
    storage = await openStorage({ database: { url: db.url, dataDir: '', autoMigrate: false, poolMax: 2 } }, createLogger('silent'));
    runner = new MigrationRunner(storage.orm);
  });

  afterAll(async () => {
    await storage?.close();
    await db?.drop();
  });

  it('applies every migration on an empty database', async () => {
    const applied = await runner.up();
    expect(applied).toEqual(MIGRATIONS.map((m) => m.name));
    expect(await runner.status()).toEqual({ executed: applied, pending: [] });
  });

  it('leaves a schema that matches the entities exactly', async () => {
    const diff = await storage.orm.getSchemaGenerator().getUpdateSchemaSQL({ wrap: false, safe: false });
    expect(diff.trim()).toBe('');
  });

  it('up, down and up again leave the same schema', async () => {
    const afterFirstUp = await schemaSnapshot(storage.orm);
    expect(afterFirstUp.some((row) => row.includes('"api_token"'))).toBe(true);

    const reverted = await runner.down('all');
    expect(reverted).toEqual(MIGRATIONS.map((m) => m.name).reverse());
    const afterDown = await schemaSnapshot(storage.orm);
    expect(afterDown.filter((row) => !row.includes('mikro_orm_migrations'))).toEqual([]);

    await runner.up();
    expect(await schemaSnapshot(storage.orm)).toEqual(afterFirstUp);
  });

  it('reverts one step at a time, newest first', async () => {
    const [newest] = [...MIGRATIONS].reverse();
    expect(await runner.down(1)).toEqual([newest.name]);
    expect((await runner.status()).pending).toEqual([newest.name]);
    await runner.up();
  });
});
