// oauth_account rows and the account changes of a Google sign-in. No rules here.
import { and, eq, isNull, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, oauthAccounts, organizations, sessions, users } from "../../db/schema";
import { hasSecondFactor } from "../../db/second-factor";
import { signInOrganizationIdOf } from "../../platform/sessions/sign-in-organization";

/**
 * The user linked to (provider, subject), with what sign-in needs to decide; the organization is
 * the one a sign-in acts in (null when the user belongs to none).
 */
export function findLinkedUser(db: Database, provider: string, subject: string) {
  return db
    .select({
      id: users.id,
      email: users.email,
      organizationId: memberships.organizationId,
      suspendedAt: users.suspendedAt,
      organizationSuspendedAt: organizations.suspendedAt,
      // Google is a first factor only: an account with a second factor still needs it (SEC-67).
      hasSecondFactor: hasSecondFactor(users.id),
    })
    .from(oauthAccounts)
    .innerJoin(users, eq(users.id, oauthAccounts.userId))
    .leftJoin(
      memberships,
      and(eq(memberships.userId, users.id), eq(memberships.organizationId, signInOrganizationIdOf(sql`"user"."id"`))),
    )
    .leftJoin(organizations, eq(organizations.id, memberships.organizationId))
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
