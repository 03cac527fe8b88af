/**
 * Whether SQL text holds more than one statement: a `;` outside string literals, quoted
 * identifiers, dollar quotes and comments, with something after it.
 */
export function isMultiStatement(sql: string): boolean {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i];
    const next = sql[i + 1];
    if (c === "'" || c === '"') {
      // '' (or "") inside escapes the quote; an E'...' string also escapes with a backslash.
      const escapes = c === "'" && (sql[i - 1] === 'E' || sql[i - 1] === 'e');
      i += 1;
      while (i < n) {
        if (escapes && sql[i] === '\\') i += 2;
        else if (sql[i] === c && sql[i + 1] === c) i += 2;
        else if (sql[i] === c) break;
        else i += 1;
      }
      i += 1;
    } else if (c === '-' && next === '-') {
      while (i < n && sql[i] !== '\n') i += 1;
    } else if (c === '/' && next === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '$') {
      const tag = /^\$[A-Za-z_0-9]*\$/.exec(sql.slice(i))?.[0];
      if (tag && !/^\$\d/.test(tag)) {
        const end = sql.indexOf(tag, i + tag.length);
        i = end < 0 ? n : end + tag.length;
      } else {
        i += 1;
      }
    } else if (c === ';') {
      if (
        sql
          .slice(i + 1)
          .replace(/--[^\n]*|\/\*[\s\S]*?\*\//g, '')
          .trim().length > 0
      )
        return true;
      i += 1;
    } else {
      i += 1;
    }
  }
  return false;
}

interface PgliteLike {
  exec(sql: string): Promise<unknown>;
  query(sql: string, params: unknown[]): Promise<unknown>;
}

interface KnexQuery {
  sql: string;
  method?: string;
  bindings?: unknown[];
  response?: unknown;
}

/**
 * The embedded driver sends a query as several statements whenever its text contains a `;`, even
 * inside a quoted value, and then loses the answer's shape (a filter value with `;` broke the
 * query). Its dialect is given this decision instead, made on the statement's actual structure.
 */
export function useStructuralStatementSplit(dialect: { prototype: object }): void {
  Object.assign(dialect.prototype, {
    async _query(connection: PgliteLike, obj: KnexQuery): Promise<KnexQuery> {
      if (!obj.sql) throw new Error('The query is empty');
      obj.response =
        obj.method === 'raw' && isMultiStatement(obj.sql)
          ? await connection.exec(obj.sql)
          : await connection.query(obj.sql, obj.bindings ?? []);
      return obj;
    },
  });
}
