import type { EntityManager } from '@mikro-orm/core';
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
