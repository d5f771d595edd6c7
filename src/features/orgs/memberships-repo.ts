// A user's own memberships: list, add, make one active, and the choice of one at sign-in. No rules here.
import { and, desc, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, organizations, sessions } from "../../db/schema";
import type { AssignableRole } from "../../lib/roles";

/** Every organization the user belongs to, most recently active first. */
export function listMemberships(db: Database, userId: string) {
  return db
    .select({
      organizationId: memberships.organizationId,
      name: organizations.name,
      role: memberships.role,
      suspendedAt: organizations.suspendedAt,
      createdAt: memberships.createdAt,
      lastActiveAt: memberships.lastActiveAt,
    })
    .from(memberships)
    .innerJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(memberships.userId, userId))
    .orderBy(desc(memberships.lastActiveAt), memberships.organizationId);
}

/** How many members the organization has besides `userId` (account deletion, leaving). */
export async function countOtherMembers(db: Database, organizationId: string, userId: string): Promise<number> {
  const row = await db
    .select({ count: sql<number>`count(*)` })
    .from(memberships)
    .where(and(eq(memberships.organizationId, organizationId), sql`${memberships.userId} != ${userId}`))
    .get();
  return row?.count ?? 0;
}

export interface NewMembershipRow {
  userId: string;
  organizationId: string;
  role: AssignableRole;
  now: number;
}

export function buildMembershipInsert(db: Database, row: NewMembershipRow) {
  return db.insert(memberships).values({
    userId: row.userId,
    organizationId: row.organizationId,
    role: row.role,
    createdAt: row.now,
    lastActiveAt: row.now,
  });
}

/**
 * Makes `organizationId` the session's active organization, only if the user is a member of it
 * and it is not suspended (SEC-77): a foreign or unknown id changes nothing.
 */
export function buildActiveOrganizationSwitch(
  db: Database,
  options: { sessionId: string; userId: string; organizationId: string },
) {
  const { sessionId, userId, organizationId } = options;
  return db
    .update(sessions)
    .set({ activeOrganizationId: organizationId })
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        sql`EXISTS (SELECT 1 FROM "membership" AS m INNER JOIN "organization" AS o ON o.id = m.organization_id
                    WHERE m.user_id = ${userId} AND m.organization_id = ${organizationId} AND o.suspended_at IS NULL)`,
      ),
    )
    .returning({ id: sessions.id });
}

/**
 * Records that the user acted in this organization now; sign-in picks the most recent one. With
 * `onlyIfActiveIn`, only when that session now acts in it (put after a switch: a refused switch
 * changes nothing at all).
 */
export function buildMembershipTouch(
  db: Database,
  options: { userId: string; organizationId: string; now: number; onlyIfActiveIn?: string },
) {
  const { userId, organizationId, now, onlyIfActiveIn } = options;
  return db
    .update(memberships)
    .set({ lastActiveAt: now })
    .where(
      and(
        eq(memberships.userId, userId),
        eq(memberships.organizationId, organizationId),
        onlyIfActiveIn === undefined
          ? undefined
          : sql`EXISTS (SELECT 1 FROM "session" AS switched WHERE switched.id = ${onlyIfActiveIn}
                AND switched.active_organization_id = ${organizationId})`,
      ),
    );
}

/**
 * After the user left `leftOrganizationId` (put after the removal in its batch): the session
 * moves to their most recently active membership in an organization that is not suspended. Does
 * nothing when the removal did not happen, or when no organization is left.
 */
export function buildSessionMoveToLatestMembership(
  db: Database,
  options: { sessionId: string; userId: string; leftOrganizationId: string },
) {
  const { sessionId, userId, leftOrganizationId } = options;
  const latest = sql`(SELECT m.organization_id FROM "membership" AS m INNER JOIN "organization" AS o ON o.id = m.organization_id
                      WHERE m.user_id = ${userId} AND o.suspended_at IS NULL
                      ORDER BY m.last_active_at DESC, m.organization_id LIMIT 1)`;
  return db
    .update(sessions)
    .set({ activeOrganizationId: latest })
    .where(
      and(
        eq(sessions.id, sessionId),
        eq(sessions.userId, userId),
        sql`NOT EXISTS (SELECT 1 FROM "membership" AS gone WHERE gone.user_id = ${userId} AND gone.organization_id = ${leftOrganizationId})`,
        sql`${latest} IS NOT NULL`,
      ),
    )
    .returning({ organizationId: sessions.activeOrganizationId });
}
