// A cheap fingerprint of the D1 state that matters for "a refused request changed nothing":
// accounts, sessions and tokens, and the organization-scoped rows (roles, suspensions,
// invitations, notes, settings, usage counters) and the plan catalogue. Not the audit log or the
// dev outbox: refusals may write those.
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
  /** Moves when any membership role or sys_admin flag changes (a weighted sum: a raise or a demotion moves it). */
  user_roles: number;
  memberships: number;
  /** Every session's active organization: moves when one switches. */
  active_organizations: string | null;
  suspended_users: number;
  suspended_organizations: number;
  invitations: number;
  /** Revoked or accepted. */
  closed_invitations: number;
  notes: number;
  /** Moves when any note is written (the sum of updated_at, not the max: any row's update counts). */
  notes_written: number;
  settings: number;
  settings_written: number;
  plans: number;
  /** Moves when any plan is written (name, Stripe product, features, the default flag). */
  plans_written: number;
  /** The default plan's id (null when none is: every organization then falls back to declared defaults). */
  default_plan: string | null;
  /** Organizations on a plan of their own (plan_id set). */
  organizations_on_a_plan: number;
  /** Metered usage over every organization, feature and period. */
  usage_used: number;
  passkeys: number;
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
       (SELECT count(*) FROM email_token WHERE used_at IS NOT NULL) AS used_email_tokens,
       (SELECT total(CASE role WHEN 'readonly' THEN 1 WHEN 'member' THEN 10 WHEN 'org_admin' THEN 100 ELSE 1000 END) FROM membership)
         + (SELECT 1000 * total(is_sys_admin) FROM "user") AS user_roles,
       (SELECT count(*) FROM membership) AS memberships,
       (SELECT group_concat(id || ':' || active_organization_id) FROM session) AS active_organizations,
       (SELECT count(*) FROM "user" WHERE suspended_at IS NOT NULL) AS suspended_users,
       (SELECT count(*) FROM organization WHERE suspended_at IS NOT NULL) AS suspended_organizations,
       (SELECT count(*) FROM invitation) AS invitations,
       (SELECT count(*) FROM invitation WHERE revoked_at IS NOT NULL OR accepted_at IS NOT NULL) AS closed_invitations,
       (SELECT count(*) FROM note) AS notes,
       (SELECT total(updated_at) FROM note) AS notes_written,
       (SELECT count(*) FROM setting) AS settings,
       (SELECT total(updated_at) FROM setting) AS settings_written,
       (SELECT count(*) FROM plan) AS plans,
       (SELECT total(updated_at) FROM plan) AS plans_written,
       (SELECT group_concat(id) FROM plan WHERE is_default = 1) AS default_plan,
       (SELECT count(*) FROM organization WHERE plan_id IS NOT NULL) AS organizations_on_a_plan,
       (SELECT total(used) FROM usage_counter) AS usage_used,
       (SELECT count(*) FROM passkey) AS passkeys`,
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
  return JSON.stringify(await readAllTables());
}

/** The application's tables; the schema does not change while tests run, so it is read once. */
let tableNames: Promise<string[]> | undefined;
function listTables(): Promise<string[]> {
  tableNames ??= env.DB.prepare(
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name NOT LIKE '_cf_%' AND name != 'd1_migrations' ORDER BY name",
  )
    .all<{ name: string }>()
    .then(({ results }) => results.map((table) => table.name));
  return tableNames;
}

/**
 * Every table's rows in one batch: one round trip to D1 and one consistent read (a batch is one
 * transaction), instead of one query per table. The matrices dump D1 around every refused request.
 */
async function readAllTables(): Promise<Record<string, unknown[]>> {
  const names = await listTables();
  const results = await env.DB.batch(names.map((name) => env.DB.prepare(`SELECT * FROM "${name}" ORDER BY rowid`)));
  return Object.fromEntries(names.map((name, index) => [name, results[index]!.results]));
}

/** D1 compared row by row across requests: the tables whose rows changed since the last look. */
export class D1Watch {
  private constructor(private snapshot: Record<string, unknown[]>) {}

  static async start(): Promise<D1Watch> {
    return new D1Watch(await readAllTables());
  }

  /** Tables that differ from the previous call; the new state becomes the reference. */
  async changedTables(): Promise<string[]> {
    const now = await readAllTables();
    const names = new Set([...Object.keys(now), ...Object.keys(this.snapshot)]);
    const changed = [...names].filter((name) => JSON.stringify(now[name]) !== JSON.stringify(this.snapshot[name]));
    this.snapshot = now;
    return changed.sort();
  }
}
