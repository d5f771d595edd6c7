// The drizzle client for a D1 binding. Never created at module scope: bindings arrive with requests.
import { sql } from "drizzle-orm";
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Database = DrizzleD1Database<typeof schema>;

/**
 * Queries go to the D1 primary: no Sessions API bookmark is ever taken from a client, so
 * session, role and revocation checks never read a stale replica (SEC-53).
 */
const databases = new WeakMap<D1Database, Database>();

/**
 * One drizzle instance per D1 binding (the binding object lives as long as the isolate), so
 * queries prepared on it, like the per-request session check, are built once, not per request.
 */
export function createDB(binding: D1Database): Database {
  let db = databases.get(binding);
  if (!db) {
    db = drizzle(binding, { schema });
    databases.set(binding, db);
  }
  return db;
}

/** The D1 binding under a drizzle instance (drizzle sets $client; its Database type omits it). */
export function d1Of(db: Database): D1Database {
  return (db as Database & { $client: D1Database }).$client;
}

/** The cheapest round trip to D1; throws when the database cannot be reached. */
export async function pingDatabase(db: Database): Promise<void> {
  await db.run(sql`SELECT 1`);
}
