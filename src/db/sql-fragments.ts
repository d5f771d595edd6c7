// SQL fragments shared between drizzle queries and raw D1 statements: a rule that must be applied
// inside another statement (a plan's limit read in a settlement's own batch) is written once as a
// drizzle SQL object, embedded as-is in a drizzle query, or numbered into a raw statement.
import { type SQL, sql } from "drizzle-orm";
import { SQLiteAsyncDialect } from "drizzle-orm/sqlite-core";

const dialect = new SQLiteAsyncDialect();

/**
 * A code constant written into the SQL text rather than bound (a JSON path, a setting key, a
 * default): keeps a fragment's bound parameters to the values that vary per call. Never for input.
 */
export function sqlConstant(value: string | number | null): SQL {
  if (value === null) return sql.raw("NULL");
  if (typeof value === "number") {
    if (!Number.isFinite(value)) throw new Error(`not a finite SQL constant: ${value}`);
    return sql.raw(String(value));
  }
  return sql.raw(`'${value.replaceAll("'", "''")}'`);
}

/**
 * The fragment as raw SQL text whose parameters are numbered from `firstParam` (?N), for a
 * statement that numbers its own parameters (D1 binds ?N by position). Explicit ?N already in the
 * fragment (sql.raw("?3"), a parameter of the enclosing statement) are left as they are.
 */
export function toNumberedSQL(fragment: SQL, firstParam: number): { sql: string; params: unknown[] } {
  const query = dialect.sqlToQuery(fragment);
  let next = firstParam;
  const text = query.sql.replace(/\?(?!\d)/g, () => `?${next++}`);
  if (next - firstParam !== query.params.length) throw new Error("an SQL fragment has a '?' that is not a parameter");
  return { sql: text, params: query.params };
}

/**
 * A drizzle query as a raw D1 statement, for a batch of raw statements (the AI settlement) that
 * another feature's statement is appended to. Its result is D1's: rows keyed by column name.
 */
export function toD1Statement(d1: D1Database, query: { toSQL(): { sql: string; params: unknown[] } }) {
  const { sql: text, params } = query.toSQL();
  return d1.prepare(text).bind(...params);
}
