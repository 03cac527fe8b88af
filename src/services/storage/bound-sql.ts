import type { EntityManager, MikroORM } from '@mikro-orm/core';
import type { AbstractSqlConnection, Knex } from '@mikro-orm/knex';

/**
 * Runs SQL with its values sent as bound parameters, on MikroORM's own pool. For the alert
 * path's group-commit statements only: `execute` would quote every value into the SQL text
 * first, which costs more than the statement itself when a batch carries hundreds of values.
 */
export async function runBound<T = Record<string, unknown>>(em: EntityManager, sql: string, params: readonly unknown[]): Promise<T[]> {
  const connection = em.getConnection() as unknown as AbstractSqlConnection;
  const result = await connection.getKnex().raw(sql, params as readonly Knex.RawBinding[]);
  return (result.rows ?? result) as T[];
}

/** One statement of a transaction: runs on the transaction's connection and answers its rows. */
export type TransactionStatement = (sql: string, params?: unknown[]) => Promise<Array<Record<string, unknown>>>;

/**
 * Runs `work` in one transaction on a fork of the entity manager, handing it a function that
 * runs SQL inside that transaction: for repositories that write several tables at once in SQL.
 */
export function inTransaction<T>(orm: MikroORM, work: (run: TransactionStatement) => Promise<T>): Promise<T> {
  const connection = orm.em.getConnection();
  return orm.em.fork().transactional(async (em) => {
    const ctx = em.getTransactionContext();
    return work((sql, params = []) => connection.execute(sql, params, 'all', ctx));
  });
}

/** A json/jsonb column read through raw SQL: parsed by the driver (PostgreSQL) or still text (PGlite in some paths). */
export function jsonColumn<T>(value: unknown): T {
  return (typeof value === 'string' ? JSON.parse(value) : value) as T;
}
