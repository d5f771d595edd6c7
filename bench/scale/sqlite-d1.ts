// A D1Database over a node:sqlite file, enough for drizzle-orm/d1 and the raw statements the repos
// prepare (prepare/bind/all/raw/first/run/batch). The at-size bench calls the real repo functions
// through it, so the SQL it times is exactly what the worker sends (captured here, never copied).
import type { DatabaseSync, SQLInputValue } from "node:sqlite";

export interface CapturedStatement {
  sql: string;
  params: SQLInputValue[];
}

/** D1 binds booleans as 0/1 and undefined as NULL; node:sqlite accepts neither. */
function toSQLite(value: unknown): SQLInputValue {
  if (value === undefined) return null;
  if (typeof value === "boolean") return value ? 1 : 0;
  return value as SQLInputValue;
}

class Statement {
  constructor(
    private readonly db: DatabaseSync,
    private readonly captured: CapturedStatement[],
    readonly sql: string,
    readonly params: SQLInputValue[] = [],
  ) {}

  bind(...values: unknown[]): Statement {
    return new Statement(this.db, this.captured, this.sql, values.map(toSQLite));
  }

  /** Runs now; what D1's all() resolves to. */
  execute(): { results: Record<string, unknown>[]; meta: { changes: number } } {
    this.captured.push({ sql: this.sql, params: this.params });
    const statement = this.db.prepare(this.sql);
    if (statement.columns().length === 0) {
      const { changes } = statement.run(...this.params);
      return { results: [], meta: { changes: Number(changes) } };
    }
    const results = statement.all(...this.params) as Record<string, unknown>[];
    return { results, meta: { changes: Number(this.db.prepare("SELECT changes() AS n").get()?.n ?? 0) } };
  }

  async all() {
    return { success: true, ...this.execute() };
  }
  async run() {
    return { success: true, ...this.execute() };
  }
  async first(column?: string) {
    const row = this.execute().results[0] ?? null;
    return column === undefined || row === null ? row : row[column];
  }
  /** Rows as arrays in column order (duplicate names kept: drizzle's joins rely on it). */
  async raw() {
    this.captured.push({ sql: this.sql, params: this.params });
    const statement = this.db.prepare(this.sql);
    statement.setReturnArrays(true);
    return statement.all(...this.params) as unknown as unknown[][];
  }
}

/** A D1-shaped binding; every statement it runs is appended to `captured`. */
export function createSQLiteD1(db: DatabaseSync, captured: CapturedStatement[]): D1Database {
  const binding = {
    prepare: (sql: string) => new Statement(db, captured, sql),
    // One transaction, as D1 runs a batch.
    async batch(statements: Statement[]) {
      db.exec("SAVEPOINT d1_batch");
      try {
        const results = statements.map((statement) => ({ success: true, ...statement.execute() }));
        db.exec("RELEASE d1_batch");
        return results;
      } catch (error) {
        db.exec("ROLLBACK TO d1_batch; RELEASE d1_batch");
        throw error;
      }
    },
    exec: (sql: string) => {
      db.exec(sql);
      return Promise.resolve({ count: 1, duration: 0 });
    },
  };
  return binding as unknown as D1Database;
}
