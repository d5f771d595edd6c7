// oauth_account rows and the account changes of a Google sign-in. No rules here.
import { and, desc, eq, gt, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { invitations, oauthAccounts, organizations, sessions, users } from "../../db/schema";

/** The user linked to (provider, subject), with what sign-in needs to decide. */
export function findLinkedUser(db: Database, provider: string, subject: string) {
  return db
    .select({
      id: users.id,
      email: users.email,
      organizationId: users.organizationId,
      suspendedAt: users.suspendedAt,
      organizationSuspendedAt: organizations.suspendedAt,
    })
    .from(oauthAccounts)
    .innerJoin(users, eq(users.id, oauthAccounts.userId))
    .innerJoin(organizations, eq(organizations.id, users.organizationId))
    .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.subject, subject)))
    .get();
}

/** Whether the user already has an identity at this provider (any subject). */
export async function hasProviderLink(db: Database, provider: string, userId: string): Promise<boolean> {
  const row = await db
    .select({ id: oauthAccounts.id })
    .from(oauthAccounts)
    .where(and(eq(oauthAccounts.provider, provider), eq(oauthAccounts.userId, userId)))
    .get();
  return row !== undefined;
}

export interface NewOAuthAccountRow {
  id: string;
  provider: string;
  subject: string;
  userId: string;
  email: string;
  createdAt: number;
}

export function buildOAuthAccountInsert(db: Database, row: NewOAuthAccountRow) {
  return db.insert(oauthAccounts).values(row);
}

const isStillUnverified = (userId: string) =>
  sql`EXISTS (SELECT 1 FROM "user" WHERE id = ${userId} AND email_verified_at IS NULL)`;

/**
 * Claim, part 1: the sessions of a still-unverified account. Put before part 2 in the batch:
 * once the account is verified the condition no longer holds.
 */
export function buildUnverifiedSessionsDeletion(db: Database, userId: string) {
  return db.delete(sessions).where(and(eq(sessions.userId, userId), isStillUnverified(userId)));
}

/** Claim, part 2: no password any more, the email verified; only if it is still unverified. */
export function buildUnverifiedAccountClaim(db: Database, userId: string, now: number) {
  return db
    .update(users)
    .set({ passwordHash: null, emailVerifiedAt: now, updatedAt: now })
    .where(and(eq(users.id, userId), isNull(users.emailVerifiedAt)));
}

function isPending(now: number) {
  return and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now));
}

/** The newest pending invitation for the email, in any organization, with its organization's state. */
export function findPendingInvitationByEmail(db: Database, email: string, now: number) {
  return db
    .select({
      id: invitations.id,
      organizationId: invitations.organizationId,
      role: invitations.role,
      organizationSuspendedAt: organizations.suspendedAt,
    })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(and(eq(invitations.email, email), isPending(now)))
    .orderBy(desc(invitations.createdAt))
    .get();
}

/**
 * Creates the invited account from the invitation row itself (organization, email and role as the
 * inviter bound them, SEC-38), without a password; nothing when the invitation is no longer pending
 * or its organization is suspended. Mirrors buildUserInsertFromInvitation, keyed by id.
 */
export function buildUserInsertFromInvitationId(
  db: Database,
  options: { invitationId: string; userId: string; firstName: string | null; lastName: string | null; now: number },
) {
  const { invitationId, userId, firstName, lastName, now } = options;
  // drizzle's insert-select needs every column of "user", in table order.
  const row = db
    .select({
      id: sql<string>`${userId}`.as("id"),
      organizationId: invitations.organizationId,
      email: invitations.email,
      passwordHash: sql<string | null>`NULL`.as("password_hash"),
      firstName: sql<string | null>`${firstName}`.as("first_name"),
      lastName: sql<string | null>`${lastName}`.as("last_name"),
      role: invitations.role,
      emailVerifiedAt: sql<number>`${now}`.as("email_verified_at"),
      suspendedAt: sql<number | null>`NULL`.as("suspended_at"),
      createdAt: sql<number>`${now}`.as("created_at"),
      updatedAt: sql<number>`${now}`.as("updated_at"),
    })
    .from(invitations)
    .where(
      and(
        eq(invitations.id, invitationId),
        isPending(now),
        sql`EXISTS (SELECT 1 FROM organization AS o WHERE o.id = "invitation"."organization_id" AND o.suspended_at IS NULL)`,
      ),
    );
  return db.insert(users).select(row as never);
}

/** Compare-and-set consumption (SEC-27), only once the account exists; returns the row if it won. */
export function buildInvitationConsumeById(db: Database, options: { invitationId: string; userId: string; now: number }) {
  const { invitationId, userId, now } = options;
  return db
    .update(invitations)
    .set({ acceptedAt: now })
    .where(and(eq(invitations.id, invitationId), isPending(now), sql`EXISTS (SELECT 1 FROM "user" WHERE id = ${userId})`))
    .returning({ id: invitations.id, organizationId: invitations.organizationId });
}
