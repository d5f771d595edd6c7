// Creates the drizzle client for one request. Never at module scope: bindings are per request.
import { drizzle, type DrizzleD1Database } from "drizzle-orm/d1";
import * as schema from "./schema";

export type Database = DrizzleD1Database<typeof schema>;

/**
 * Queries go to the D1 primary: no Sessions API bookmark is ever taken from a client, so
 * session, role and revocation checks never read a stale replica (SEC-53).
 */
export function createDB(binding: D1Database): Database {
  return drizzle(binding, { schema });
}
