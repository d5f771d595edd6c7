// Session rows: create, the one-query validation join, listing and deletion. No rules here.
import { and, eq, gt, isNotNull, isNull, lt, ne, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, organizations, sessions, users } from "../../db/schema";
import { deleteRowsBatch } from "../../db/delete-batch";
import { organizationsCountOf } from "./sign-in-organization";
import { hasSecondFactor, requiresSecondFactor } from "../../db/second-factor";

export interface NewSessionRow {
  id: string;
  tokenHash: string;
  userId: string;
  activeOrganizationId: string;
  createdAt: number;
  authenticatedAt: number;
  expiresAt: number;
  userAgent: string | null;
  ip: string | null;
}

export function insertSession(db: Database, row: NewSessionRow) {
  return db.insert(sessions).values(row);
}

/**
 * Session, user, the membership in the session's active organization and that organization, in
 * one indexed read. Expiry, suspension of the user and of the organization, email verification
 * and the membership's existence are conditions of the query itself (inner joins), so a row comes
 * back only for a usable session, and a removal or a suspension applies on the next request of
 * every session acting in that organization (SEC-24, SEC-77).
 */
function prepareFindValidSession(db: Database) {
  return db
    .select({
      sessionId: sessions.id,
      expiresAt: sessions.expiresAt,
      authenticatedAt: sessions.authenticatedAt,
      userId: users.id,
      email: users.email,
      firstName: users.firstName,
      lastName: users.lastName,
      isSysAdmin: users.isSysAdmin,
      membershipRole: memberships.role,
      hasPassword: isNotNull(users.passwordHash),
      emailVerifiedAt: users.emailVerifiedAt,
      createdAt: users.createdAt,
      organizationId: organizations.id,
      organizationName: organizations.name,
      organizationsCount: organizationsCountOf(sql`"user"."id"`),
      // require_mfa (SEC-70), read with the session and never cached: two probes in this query.
      organizationRequiresMfa: requiresSecondFactor(organizations.id),
      hasSecondFactor: hasSecondFactor(users.id),
    })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(
      memberships,
      and(eq(memberships.userId, sessions.userId), eq(memberships.organizationId, sessions.activeOrganizationId)),
    )
    .innerJoin(organizations, eq(organizations.id, sessions.activeOrganizationId))
    .where(
      and(
        eq(sessions.tokenHash, sql.placeholder("tokenHash")),
        gt(sessions.expiresAt, sql.placeholder("now")),
        isNull(users.suspendedAt),
        isNotNull(users.emailVerifiedAt),
        isNull(organizations.suspendedAt),
      ),
    )
    .limit(1)
    .prepare();
}

/**
 * Built once per drizzle instance: rebuilding this 14-column join cost more CPU than the D1 read
 * itself (BENCHMARKS.md, "Why /users/me is slow").
 */
const preparedFindValidSession = new WeakMap<Database, ReturnType<typeof prepareFindValidSession>>();

export async function findValidSession(db: Database, tokenHash: string, now: number) {
  let query = preparedFindValidSession.get(db);
  if (!query) {
    query = prepareFindValidSession(db);
    preparedFindValidSession.set(db, query);
  }
  const rows = await query.all({ tokenHash, now });
  return rows[0] ?? null;
}

export function listActiveSessions(db: Database, userId: string, now: number) {
  return db
    .select({
      id: sessions.id,
      createdAt: sessions.createdAt,
      expiresAt: sessions.expiresAt,
      userAgent: sessions.userAgent,
    })
    .from(sessions)
    .where(and(eq(sessions.userId, userId), gt(sessions.expiresAt, now)))
    .orderBy(sessions.createdAt);
}

export function deleteSessionById(db: Database, userId: string, sessionId: string) {
  return db
    .delete(sessions)
    .where(and(eq(sessions.userId, userId), eq(sessions.id, sessionId)))
    .returning({ id: sessions.id });
}

export function deleteUserSessions(db: Database, userId: string, options: { exceptSessionId?: string } = {}) {
  return db
    .delete(sessions)
    .where(
      options.exceptSessionId === undefined
        ? eq(sessions.userId, userId)
        : and(eq(sessions.userId, userId), ne(sessions.id, options.exceptSessionId)),
    );
}

/** One bounded batch of sessions expired before `cutoff`; returns how many were deleted. */
export async function deleteExpiredSessionsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  return deleteRowsBatch(db, { table: sessions, id: sessions.id, where: lt(sessions.expiresAt, cutoff) }, batchSize);
}
