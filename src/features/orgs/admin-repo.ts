// sys_admin's view across organizations: list, create, suspend, activate.
import { and, desc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { organizations, sessions, users } from "../../db/schema";
import type { PageRequest } from "../../lib/pagination";
import { memberColumns } from "./members-repo";

// The member count spells its columns out: drizzle leaves them unqualified in single-table queries.
const organizationColumns = {
  id: organizations.id,
  name: organizations.name,
  createdAt: organizations.createdAt,
  suspendedAt: organizations.suspendedAt,
  memberCount: sql<number>`(SELECT COUNT(*) FROM "user" AS member WHERE member.organization_id = "organization"."id")`,
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

/** Every session of every member of the organization (SEC-25). */
export function buildOrganizationSessionsDeletion(db: Database, organizationId: string) {
  return db
    .delete(sessions)
    .where(
      inArray(sessions.userId, db.select({ id: users.id }).from(users).where(eq(users.organizationId, organizationId))),
    );
}

export function listUsersPage(db: Database, page: PageRequest) {
  return db
    .select({ ...memberColumns, organizationId: users.organizationId })
    .from(users)
    .orderBy(desc(users.createdAt), users.id)
    .limit(page.limit + 1)
    .offset(page.offset);
}

export function findUserForAdmin(db: Database, userId: string) {
  return db
    .select({ id: users.id, organizationId: users.organizationId, role: users.role })
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
