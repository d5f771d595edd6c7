// Statements of an account deletion: the organizations the user is in, the data of those left
// without members, and the user's own rows. No rules here (users/deletion-service.ts).
import { and, count, eq, ne, or, type SQL, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database } from "../../db/client";
import {
  aiAccounts,
  aiReservations,
  auditLog,
  creditDisputes,
  creditTransactions,
  invitations,
  llmUsageLogs,
  llmUsageMonthly,
  memberships,
  notes,
  organizations,
  settings,
  usageCounters,
  users,
  webhookEvents,
} from "../../db/schema";

/**
 * Each organization the user belongs to, with their role and how many other members and other
 * org_admins it has.
 */
export function listMembershipStates(db: Database, userId: string) {
  const other = alias(memberships, "other");
  const others = (extra?: SQL) =>
    db
      .select({ n: count() })
      .from(other)
      .where(and(eq(other.organizationId, memberships.organizationId), ne(other.userId, userId), extra));
  return db
    .select({
      organizationId: memberships.organizationId,
      role: memberships.role,
      otherMembers: sql<number>`(${others()})`,
      otherAdmins: sql<number>`(${others(eq(other.role, "org_admin"))})`,
    })
    .from(memberships)
    .where(eq(memberships.userId, userId));
}

/**
 * An organization's rows and then the organization itself. Its audit rows stay (they hold ids,
 * and retention prunes them). The organization's DELETE fails on the membership.organization_id
 * foreign key if anyone joined meanwhile, which rolls the whole batch back.
 */
export function buildOrganizationDeletion(db: Database, organizationId: string) {
  return [
    db.delete(notes).where(eq(notes.organizationId, organizationId)),
    db.delete(invitations).where(eq(invitations.organizationId, organizationId)),
    db.delete(usageCounters).where(eq(usageCounters.organizationId, organizationId)),
    db.delete(creditTransactions).where(eq(creditTransactions.organizationId, organizationId)),
    db.delete(creditDisputes).where(eq(creditDisputes.organizationId, organizationId)),
    // Unpublished events would go to endpoints that go with the organization (ON DELETE CASCADE).
    db.delete(webhookEvents).where(eq(webhookEvents.organizationId, organizationId)),
    db.delete(llmUsageLogs).where(eq(llmUsageLogs.organizationId, organizationId)),
    db.delete(llmUsageMonthly).where(eq(llmUsageMonthly.organizationId, organizationId)),
    db.delete(aiReservations).where(eq(aiReservations.organizationId, organizationId)),
    db.delete(aiAccounts).where(eq(aiAccounts.organizationId, organizationId)),
    db.delete(settings).where(and(eq(settings.scope, "organization"), eq(settings.scopeId, organizationId))),
    db.delete(organizations).where(eq(organizations.id, organizationId)),
  ] as const;
}

/**
 * The user's personal data. Audit rows about them keep only ids: their IP and free-form details
 * (which may hold an email address) are cleared. Deleting the user row cascades to sessions,
 * email tokens and OAuth links, and unsets the authorship of the notes they wrote in
 * organizations that live on (ON DELETE in the schema).
 */
export function buildUserErasure(db: Database, userId: string) {
  return [
    db
      .update(auditLog)
      .set({ ip: null, details: null })
      .where(or(eq(auditLog.actorUserId, userId), eq(auditLog.target, userId))),
    db.delete(settings).where(and(eq(settings.scope, "user"), eq(settings.scopeId, userId))),
    db.delete(users).where(eq(users.id, userId)),
  ] as const;
}
