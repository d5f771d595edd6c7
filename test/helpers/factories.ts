// Rows written straight into D1, for states the API cannot reach quickly (old hashes, expiry).
import { env } from "cloudflare:test";
import { hashPassword, DEFAULT_ARGON2_PARAMS, type Argon2Params } from "../../src/lib/password";
import type { AssignableRole, Role } from "../../src/lib/roles";
import { uniqueEmail, GOOD_PASSWORD } from "./accounts";

export interface InsertedUser {
  id: string;
  organizationId: string;
  email: string;
  password: string;
}

/**
 * GOOD_PASSWORD hashed once per test isolate with production's parameters. A real Argon2id hash
 * (logins verify it through the same code as any other), but computed once instead of once per
 * inserted user: each hash costs tens of ms of CPU in workerd, and hundreds of users are inserted
 * by tests that are not about hashing. Tests about hashing pass `argon2`, `passwordHash` or
 * another password and get their own hash.
 */
let sharedGoodPasswordHash: Promise<string> | undefined;
function hashOfGoodPassword(): Promise<string> {
  sharedGoodPasswordHash ??= hashPassword(GOOD_PASSWORD, DEFAULT_ARGON2_PARAMS);
  return sharedGoodPasswordHash;
}

export async function insertUser(
  options: {
    email?: string;
    password?: string;
    role?: Role;
    verified?: boolean;
    argon2?: Argon2Params;
    passwordHash?: string | null;
  } = {},
): Promise<InsertedUser> {
  const email = options.email ?? uniqueEmail("inserted");
  const password = options.password ?? GOOD_PASSWORD;
  const passwordHash =
    options.passwordHash !== undefined
      ? options.passwordHash
      : password === GOOD_PASSWORD && options.argon2 === undefined
        ? await hashOfGoodPassword()
        : await hashPassword(password, options.argon2 ?? DEFAULT_ARGON2_PARAMS);
  const organizationId = crypto.randomUUID();
  const id = crypto.randomUUID();
  const now = Date.now();
  const role = options.role ?? "org_admin";
  await env.DB.batch([
    env.DB.prepare("INSERT INTO organization (id, name, created_at) VALUES (?, ?, ?)").bind(organizationId, "Org", now),
    env.DB.prepare(
      `INSERT INTO "user" (id, email, password_hash, is_sys_admin, email_verified_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).bind(id, email, passwordHash, role === "sys_admin" ? 1 : 0, options.verified === false ? null : now, now, now),
    insertMembershipStatement({ userId: id, organizationId, role: role === "sys_admin" ? "org_admin" : role }),
  ]);
  return { id, organizationId, email, password };
}

/** A membership row; sys_admin is not a membership role (it is user.is_sys_admin). */
export function insertMembershipStatement(options: {
  userId: string;
  organizationId: string;
  role: AssignableRole;
  now?: number;
}): D1PreparedStatement {
  const now = options.now ?? Date.now();
  return env.DB.prepare(
    "INSERT INTO membership (user_id, organization_id, role, created_at, last_active_at) VALUES (?, ?, ?, ?, ?)",
  ).bind(options.userId, options.organizationId, options.role, now, now);
}

export async function countRows(table: string, where = "1 = 1", ...params: unknown[]): Promise<number> {
  const row = await env.DB.prepare(`SELECT COUNT(*) AS n FROM "${table}" WHERE ${where}`)
    .bind(...params)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export async function auditActions(userId: string): Promise<string[]> {
  const { results } = await env.DB.prepare("SELECT action FROM audit_log WHERE actor_user_id = ? ORDER BY id")
    .bind(userId)
    .all<{ action: string }>();
  return results.map((row) => row.action);
}
