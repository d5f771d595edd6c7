// Member rows of one organization. Every function takes the organization id (SEC-36).
import { and, eq, ne, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, organizations, sessions, users } from "../../db/schema";
import type { Role } from "../../lib/roles";
import type { AssignableRole } from "./schemas";

export function findOrganization(db: Database, organizationId: string) {
  return db
    .select({
      id: organizations.id,
      name: organizations.name,
      createdAt: organizations.createdAt,
      memberCount: sql<number>`(SELECT COUNT(*) FROM "membership" AS member WHERE member.organization_id = "organization"."id")`,
    })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .get();
}

/** The role a member acts with in this organization: sys_admin is the user's platform attribute. */
const effectiveRoleColumn = sql<Role>`CASE WHEN ${users.isSysAdmin} THEN 'sys_admin' ELSE ${memberships.role} END`;

/** A user as organization listings show them (select from membership joined to user). */
export const memberColumns = {
  id: users.id,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  role: effectiveRoleColumn,
  emailVerifiedAt: users.emailVerifiedAt,
  suspendedAt: users.suspendedAt,
  createdAt: users.createdAt,
};

export function listMembers(db: Database, organizationId: string) {
  return db
    .select(memberColumns)
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(eq(memberships.organizationId, organizationId))
    .orderBy(memberships.createdAt, users.id);
}

/** The emails of the organization's active org_admins: who billing and usage notices go to. */
export function listActiveAdminEmails(db: Database, organizationId: string) {
  return db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(
        eq(memberships.organizationId, organizationId),
        eq(memberships.role, "org_admin"),
        sql`${users.suspendedAt} IS NULL`,
      ),
    )
    .orderBy(memberships.createdAt);
}

export function findMember(db: Database, organizationId: string, userId: string) {
  return db
    .select({ id: users.id, role: effectiveRoleColumn, membershipRole: memberships.role, email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(and(eq(memberships.organizationId, organizationId), eq(memberships.userId, userId)))
    .get();
}

/** True while the organization keeps at least one active org_admin besides `userId`. */
function hasAnotherActiveAdmin(organizationId: string, userId: string) {
  return sql`(SELECT COUNT(*) FROM "membership" AS admin INNER JOIN "user" AS admin_user ON admin_user.id = admin.user_id
              WHERE admin.organization_id = ${organizationId} AND admin.role = 'org_admin'
              AND admin_user.suspended_at IS NULL AND admin.user_id != ${userId}) > 0`;
}

/** The membership may go away or step down: it is not org_admin, or another active one remains. */
function keepsAnActiveAdmin(organizationId: string, userId: string) {
  return or(ne(memberships.role, "org_admin"), hasAnotherActiveAdmin(organizationId, userId));
}

/**
 * Compare-and-set role change: applies only if the member still has the role the caller saw
 * and the organization keeps another active org_admin when an org_admin steps down. Two admins
 * demoting each other at once cannot both succeed: D1 runs the updates one after the other.
 */
export function buildRoleChange(
  db: Database,
  options: { organizationId: string; userId: string; expectedRole: AssignableRole; newRole: AssignableRole },
) {
  const { organizationId, userId, expectedRole, newRole } = options;
  return db
    .update(memberships)
    .set({ role: newRole })
    .where(
      and(
        eq(memberships.organizationId, organizationId),
        eq(memberships.userId, userId),
        eq(memberships.role, expectedRole),
        newRole === "org_admin" ? undefined : keepsAnActiveAdmin(organizationId, userId),
      ),
    )
    .returning({ userId: memberships.userId });
}

/**
 * Deletes the membership unless it is the organization's last active org_admin (compare-and-set
 * on the role the caller saw). The account and its other memberships stay.
 */
export function buildMembershipRemoval(
  db: Database,
  options: { organizationId: string; userId: string; expectedRole: AssignableRole },
) {
  const { organizationId, userId, expectedRole } = options;
  return db
    .delete(memberships)
    .where(
      and(
        eq(memberships.organizationId, organizationId),
        eq(memberships.userId, userId),
        eq(memberships.role, expectedRole),
        keepsAnActiveAdmin(organizationId, userId),
      ),
    )
    .returning({ userId: memberships.userId });
}

/**
 * The sessions of `userId` acting in `organizationId`, unless it is one they still belong to.
 * Put after a membership removal in its batch: a removal that did not happen ends nothing. The
 * per-request read would refuse them anyway (SEC-77); deleting them keeps no dead rows, and a
 * client that thought it acted in that organization is never silently moved to another one.
 */
export function buildSessionsInOrganizationDeletion(
  db: Database,
  options: { organizationId: string; userId: string; exceptSessionId?: string },
) {
  const { organizationId, userId, exceptSessionId } = options;
  return db
    .delete(sessions)
    .where(
      and(
        eq(sessions.userId, userId),
        eq(sessions.activeOrganizationId, organizationId),
        exceptSessionId === undefined ? undefined : ne(sessions.id, exceptSessionId),
        sql`NOT EXISTS (SELECT 1 FROM "membership" AS still WHERE still.user_id = ${userId} AND still.organization_id = ${organizationId})`,
      ),
    );
}
