// Puts the test D1 back to its state right after migrations/ (seeded rows included: the plan
// catalogue, model prices), before each test file. The files of one pool worker share one workerd
// and its D1 (vitest.config.ts, isolate: false); without this a file would see the rows of the files
// before it, and counts, "nothing changed" dumps (db-state.ts) and whole-table listings would
// depend on file order. This module is evaluated once per worker (only the setup file that calls it
// runs again for each file), so the seed captured on the first call lasts for the whole run.
import { env } from "cloudflare:test";

type Rows = Record<string, unknown>[];

let seed: Promise<Map<string, Rows>> | undefined;

async function readTables(): Promise<Map<string, Rows>> {
  const { results } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const names = results.map((table) => table.name);
  const rows = await env.DB.batch(names.map((name) => env.DB.prepare(`SELECT * FROM "${name}"`)));
  return new Map(names.map((name, index) => [name, rows[index]!.results as Rows]));
}

/**
 * Empties every table and re-inserts the seeded rows, in one batch: one transaction, with
 * foreign-key checks deferred to its commit so the order of the tables does not matter
 * (https://developers.cloudflare.com/d1/sql-api/foreign-keys/). The first call, on the fresh
 * database, only records the seed.
 */
export async function resetD1ToSeed(): Promise<void> {
  if (!seed) {
    seed = readTables();
    await seed;
    return;
  }
  const tables = await seed;
  const statements = [env.DB.prepare("PRAGMA defer_foreign_keys = on")];
  for (const [name, rows] of tables) {
    statements.push(env.DB.prepare(`DELETE FROM "${name}"`));
    for (const row of rows) {
      const columns = Object.keys(row);
      statements.push(
        env.DB.prepare(
          `INSERT INTO "${name}" (${columns.map((column) => `"${column}"`).join(", ")}) VALUES (${columns.map(() => "?").join(", ")})`,
        ).bind(...columns.map((column) => row[column])),
      );
    }
  }
  await env.DB.batch(statements);
}
