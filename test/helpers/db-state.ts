// A cheap fingerprint of the D1 state that matters for "a refused request changed nothing".
import { env } from "cloudflare:test";

export interface DBState {
  users: number;
  organizations: number;
  sessions: number;
  email_tokens: number;
  /** Moves when any user row is updated (names, password, verification). */
  users_updated_at: number | null;
  verified_users: number;
  used_email_tokens: number;
}

export async function readDBState(): Promise<DBState> {
  const row = await env.DB.prepare(
    `SELECT
       (SELECT count(*) FROM "user") AS users,
       (SELECT count(*) FROM organization) AS organizations,
       (SELECT count(*) FROM session) AS sessions,
       (SELECT count(*) FROM email_token) AS email_tokens,
       (SELECT max(updated_at) FROM "user") AS users_updated_at,
       (SELECT count(*) FROM "user" WHERE email_verified_at IS NOT NULL) AS verified_users,
       (SELECT count(*) FROM email_token WHERE used_at IS NOT NULL) AS used_email_tokens`,
  ).first<DBState>();
  return row!;
}

/** Rows of the audit log: a handler that ran for a security event leaves one. */
export async function countAuditRows(): Promise<number> {
  const row = await env.DB.prepare("SELECT count(*) AS n FROM audit_log").first<{ n: number }>();
  return row!.n;
}

/** Every row of every table, for "this request changed nothing at all". */
export async function dumpDatabase(): Promise<string> {
  const { results: tables } = await env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  ).all<{ name: string }>();
  const dump: Record<string, unknown[]> = {};
  for (const { name } of tables) {
    dump[name] = (await env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`).all()).results;
  }
  return JSON.stringify(dump);
}
