// Member rows of one organization. Every function takes the organization id (SEC-36).
import { and, eq, ne, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { organizations, users } from "../../db/schema";
import type { AssignableRole } from "./schemas";

export function findOrganization(db: Database, organizationId: string) {
  return db
    .select({
      id: organizations.id,
      name: organizations.name,
      createdAt: organizations.createdAt,
      memberCount: sql<number>`(SELECT COUNT(*) FROM "user" AS member WHERE member.organization_id = "organization"."id")`,
    })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .get();
}

/** A user as organization and admin listings show them. */
export const memberColumns = {
  id: users.id,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  role: users.role,
  emailVerifiedAt: users.emailVerifiedAt,
  suspendedAt: users.suspendedAt,
  createdAt: users.createdAt,
};

export function listMembers(db: Database, organizationId: string) {
  return db.select(memberColumns).from(users).where(eq(users.organizationId, organizationId)).orderBy(users.createdAt);
}

/** The emails of the organization's active org_admins: who billing and usage notices go to. */
export function listActiveAdminEmails(db: Database, organizationId: string) {
  return db
    .select({ email: users.email })
    .from(users)
    .where(
      and(eq(users.organizationId, organizationId), eq(users.role, "org_admin"), sql`${users.suspendedAt} IS NULL`),
    )
    .orderBy(users.createdAt);
}

export function findMember(db: Database, organizationId: string, userId: string) {
  return db
    .select({ id: users.id, role: users.role, email: users.email })
    .from(users)
    .where(and(eq(users.organizationId, organizationId), eq(users.id, userId)))
    .get();
}

/** True while the organization keeps at least one active org_admin besides `userId`. */
function hasAnotherActiveAdmin(organizationId: string, userId: string) {
  return sql`(SELECT COUNT(*) FROM "user" WHERE organization_id = ${organizationId} AND role = 'org_admin'
              AND suspended_at IS NULL AND id != ${userId}) > 0`;
}

/**
 * Compare-and-set role change: applies only if the member still has the role the caller saw
 * and the organization keeps another active org_admin when an org_admin steps down. Two admins
 * demoting each other at once cannot both succeed: D1 runs the updates one after the other.
 */
export function buildRoleChange(
  db: Database,
  options: { organizationId: string; userId: string; expectedRole: string; newRole: AssignableRole; now: number },
) {
  const { organizationId, userId, expectedRole, newRole, now } = options;
  return db
    .update(users)
    .set({ role: newRole, updatedAt: now })
    .where(
      and(
        eq(users.organizationId, organizationId),
        eq(users.id, userId),
        sql`${users.role} = ${expectedRole}`,
        newRole === "org_admin"
          ? undefined
          : or(ne(users.role, "org_admin"), hasAnotherActiveAdmin(organizationId, userId)),
      ),
    )
    .returning({ id: users.id });
}

/** Deletes the member (sessions and tokens go with it by cascade) unless they are the last admin. */
export function buildMemberRemoval(
  db: Database,
  options: { organizationId: string; userId: string; expectedRole: string },
) {
  const { organizationId, userId, expectedRole } = options;
  return db
    .delete(users)
    .where(
      and(
        eq(users.organizationId, organizationId),
        eq(users.id, userId),
        sql`${users.role} = ${expectedRole}`,
        or(ne(users.role, "org_admin"), hasAnotherActiveAdmin(organizationId, userId)),
      ),
    )
    .returning({ id: users.id });
}
