// sys_admin's view across organizations: list, create, suspend, activate.
import { and, desc, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, organizations, sessions, users } from "../../db/schema";
import type { Role } from "../../lib/roles";
import { signInOrganizationIdOf } from "../../platform/sessions/sign-in-organization";
import type { PageRequest } from "../../lib/pagination";
import { memberColumns } from "./members-repo";

// The member count spells its columns out: drizzle leaves them unqualified in single-table queries.
const organizationColumns = {
  id: organizations.id,
  name: organizations.name,
  createdAt: organizations.createdAt,
  suspendedAt: organizations.suspendedAt,
  memberCount: sql<number>`(SELECT COUNT(*) FROM "membership" AS member WHERE member.organization_id = "organization"."id")`,
};

export function listOrganizationsPage(db: Database, page: PageRequest) {
  return db
    .select(organizationColumns)
    .from(organizations)
    .orderBy(desc(organizations.createdAt), organizations.id)
    .limit(page.limit + 1)
    .offset(page.offset);
}

export function findOrganizationForAdmin(db: Database, organizationId: string) {
  return db.select(organizationColumns).from(organizations).where(eq(organizations.id, organizationId)).get();
}

/** Sets or clears suspended_at; returns a row only when the state actually changed. */
export function buildOrganizationSuspension(db: Database, organizationId: string, suspendedAt: number | null) {
  return db
    .update(organizations)
    .set({ suspendedAt })
    .where(
      and(
        eq(organizations.id, organizationId),
        suspendedAt === null ? isNotNull(organizations.suspendedAt) : isNull(organizations.suspendedAt),
      ),
    )
    .returning({ id: organizations.id });
}

/**
 * Every session acting in the organization (SEC-25). Its members' sessions in their other
 * organizations stay: a suspension affects only the suspended organization.
 */
export function buildOrganizationSessionsDeletion(db: Database, organizationId: string) {
  return db.delete(sessions).where(eq(sessions.activeOrganizationId, organizationId));
}

/**
 * Every user, with the organization they signed in to most recently and their effective role in
 * it (sys_admin for platform admins); a user who belongs to no organization has neither.
 */
export function listUsersPage(db: Database, page: PageRequest) {
  return db
    .select({
      ...memberColumns,
      role: sql<Role>`CASE WHEN ${users.isSysAdmin} THEN 'sys_admin' ELSE coalesce(${memberships.role}, 'readonly') END`,
      organizationId: memberships.organizationId,
    })
    .from(users)
    .leftJoin(
      memberships,
      and(eq(memberships.userId, users.id), eq(memberships.organizationId, signInOrganizationIdOf(sql`"user"."id"`))),
    )
    .orderBy(desc(users.createdAt), users.id)
    .limit(page.limit + 1)
    .offset(page.offset);
}

/** The user, with the organization they signed in to most recently (the audit row's organization). */
export function findUserForAdmin(db: Database, userId: string) {
  return db
    .select({ id: users.id, organizationId: signInOrganizationIdOf(sql`"user"."id"`) })
    .from(users)
    .where(eq(users.id, userId))
    .get();
}

export function buildUserSuspension(db: Database, userId: string, suspendedAt: number | null) {
  return db
    .update(users)
    .set({ suspendedAt, updatedAt: Date.now() })
    .where(and(eq(users.id, userId), suspendedAt === null ? isNotNull(users.suspendedAt) : isNull(users.suspendedAt)))
    .returning({ id: users.id });
}

export function buildUserSessionsDeletion(db: Database, userId: string) {
  return db.delete(sessions).where(eq(sessions.userId, userId));
}
