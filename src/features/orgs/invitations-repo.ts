// Invitation rows. Validity (not accepted, not revoked, unexpired) is part of every WHERE clause.
import { type SQL, and, desc, eq, gt, isNull, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { invitations, memberships, organizations, users } from "../../db/schema";
import { ROLES } from "../../lib/roles";
import type { AssignableRole } from "./schemas";
import { deleteRowsBatch } from "../../db/delete-batch";

/**
 * An invitation is named by its emailed token (accept link), or by its id together with the email
 * the identity provider verified (Google sign-in: the id comes from the signed state, and only
 * that address may use it).
 */
export type InvitationSelector = { tokenHash: string } | { id: string; email: string };

function matchInvitation(selector: InvitationSelector) {
  return "tokenHash" in selector
    ? eq(invitations.tokenHash, selector.tokenHash)
    : and(eq(invitations.id, selector.id), eq(invitations.email, selector.email));
}

function isPending(now: number) {
  return and(isNull(invitations.acceptedAt), isNull(invitations.revokedAt), gt(invitations.expiresAt, now));
}

export function listPendingInvitations(db: Database, organizationId: string, now: number) {
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.organizationId, organizationId), isPending(now)))
    .orderBy(desc(invitations.createdAt));
}

export interface NewInvitationRow {
  id: string;
  organizationId: string;
  email: string;
  role: AssignableRole;
  tokenHash: string;
  invitedByUserId: string | null;
  createdAt: number;
  expiresAt: number;
}

export function buildInvitationInsert(db: Database, row: NewInvitationRow) {
  return db.insert(invitations).values(row);
}

/** Revokes the organization's pending invitations of one email, so only the newest link works. */
export function buildPendingInvitationsRevocation(db: Database, organizationId: string, email: string, now: number) {
  return db
    .update(invitations)
    .set({ revokedAt: now })
    .where(and(eq(invitations.organizationId, organizationId), eq(invitations.email, email), isPending(now)));
}

export function buildInvitationRevocation(db: Database, organizationId: string, invitationId: string, now: number) {
  return db
    .update(invitations)
    .set({ revokedAt: now })
    .where(and(eq(invitations.organizationId, organizationId), eq(invitations.id, invitationId), isPending(now)))
    .returning({ id: invitations.id, email: invitations.email });
}

/** A role column's precedence (its index in ROLES), for comparing roles in SQL; NULL for anything else. */
function roleRank(column: SQL) {
  return sql`(CASE ${column} ${sql.join(
    ROLES.map((role, rank) => sql`WHEN ${role} THEN ${rank}`),
    sql` `,
  )} END)`;
}

/**
 * Revokes the pending invitations `inviterUserId` sent that their standing, as D1 holds it when
 * this statement runs, no longer covers (SEC-62): all of them once the inviter is deleted or
 * suspended, those above their role once demoted, those of an organization they no longer belong to. Put it in the same batch as, and after, the
 * change: it then sees the change, and does nothing when a compare-and-set before it changed
 * nothing. Anything that cannot be ranked counts as no authority, so an unknown state revokes.
 */
export function buildInvitationsBeyondInviterRevocation(db: Database, inviterUserId: string, now: number) {
  return db
    .update(invitations)
    .set({ revokedAt: now })
    .where(
      and(
        eq(invitations.invitedByUserId, inviterUserId),
        isPending(now),
        // Authority is per organization: the inviter's membership in the invitation's one.
        sql`NOT EXISTS (SELECT 1 FROM "user" AS inviter
              INNER JOIN "membership" AS inviter_membership ON inviter_membership.user_id = inviter.id
                AND inviter_membership.organization_id = ${invitations.organizationId}
              WHERE inviter.id = ${inviterUserId}
              AND inviter.suspended_at IS NULL
              AND (inviter.is_sys_admin = 1
                OR ${roleRank(sql.raw("inviter_membership.role"))} >= ${roleRank(sql`${invitations.role}`)}))`,
      ),
    )
    .returning({ id: invitations.id });
}

export function findPendingInvitationByToken(db: Database, tokenHash: string, now: number) {
  return db
    .select()
    .from(invitations)
    .where(and(eq(invitations.tokenHash, tokenHash), isPending(now)))
    .get();
}

/**
 * Creates the invited account from the invitation row itself, so the organization, email and
 * role come from what the inviter bound, never from the request (SEC-38). Inserts nothing when
 * the invitation is no longer pending.
 */
export interface AccountFromInvitation {
  invitation: InvitationSelector;
  userId: string;
  /** null for an account that signs in with Google only. */
  passwordHash: string | null;
  firstName: string | null;
  lastName: string | null;
  now: number;
}

/** The organization of a pending invitation is not suspended. */
const invitationOrganizationIsActive = sql`EXISTS (SELECT 1 FROM organization AS o WHERE o.id = "invitation"."organization_id" AND o.suspended_at IS NULL)`;

export function buildUserInsertFromInvitation(db: Database, options: AccountFromInvitation) {
  const { invitation, userId, passwordHash, firstName, lastName, now } = options;
  // drizzle's insert-select needs every column of "user", in table order.
  const row = db
    .select({
      id: sql<string>`${userId}`.as("id"),
      email: invitations.email,
      passwordHash: sql<string | null>`${passwordHash}`.as("password_hash"),
      firstName: sql<string | null>`${firstName}`.as("first_name"),
      lastName: sql<string | null>`${lastName}`.as("last_name"),
      isSysAdmin: sql<number>`0`.as("is_sys_admin"),
      emailVerifiedAt: sql<number>`${now}`.as("email_verified_at"),
      suspendedAt: sql<number | null>`NULL`.as("suspended_at"),
      createdAt: sql<number>`${now}`.as("created_at"),
      updatedAt: sql<number>`${now}`.as("updated_at"),
    })
    .from(invitations)
    .where(and(matchInvitation(invitation), isPending(now), invitationOrganizationIsActive));
  return db.insert(users).select(row as never);
}

/**
 * The membership the invitation grants, from the invitation row itself: organization and role
 * are what the inviter bound (SEC-38). Inserts nothing once it is not pending or its organization
 * is suspended; an existing membership is kept as it is (an invitation never changes a role).
 */
export function buildMembershipInsertFromInvitation(
  db: Database,
  options: { invitation: InvitationSelector; userId: string; now: number },
) {
  const { invitation, userId, now } = options;
  const row = db
    .select({
      userId: sql<string>`${userId}`.as("user_id"),
      organizationId: invitations.organizationId,
      role: invitations.role,
      createdAt: sql<number>`${now}`.as("created_at"),
      lastActiveAt: sql<number>`${now}`.as("last_active_at"),
    })
    .from(invitations)
    .where(and(matchInvitation(invitation), isPending(now), invitationOrganizationIsActive));
  return db
    .insert(memberships)
    .select(row as never)
    .onConflictDoNothing();
}

/** Compare-and-set consumption (SEC-27): returns the row to the one caller that used it. */
export function buildInvitationConsume(
  db: Database,
  options: { invitation: InvitationSelector; userId: string; now: number },
) {
  const { invitation, userId, now } = options;
  return db
    .update(invitations)
    .set({ acceptedAt: now })
    .where(
      and(
        matchInvitation(invitation),
        isPending(now),
        // Only once the membership exists: an invitation is never used up without its effect.
        sql`EXISTS (SELECT 1 FROM "membership" AS granted WHERE granted.user_id = ${userId}
              AND granted.organization_id = "invitation"."organization_id")`,
      ),
    )
    .returning({ id: invitations.id, organizationId: invitations.organizationId, email: invitations.email });
}

/** A pending invitation by id, with its organization's state (Google sign-in, SEC-62). */
export function findPendingInvitationById(db: Database, invitationId: string, now: number) {
  return db
    .select({
      id: invitations.id,
      organizationId: invitations.organizationId,
      email: invitations.email,
      role: invitations.role,
      organizationSuspendedAt: organizations.suspendedAt,
    })
    .from(invitations)
    .innerJoin(organizations, eq(organizations.id, invitations.organizationId))
    .where(and(eq(invitations.id, invitationId), isPending(now)))
    .get();
}

/**
 * Deletes up to batchSize invitations that expired before the cutoff; returns how many. Accepted
 * and revoked invitations keep their expiry, so this removes them too once it has passed.
 */
export async function deleteStaleInvitationsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  const { id, expiresAt } = invitations;
  return deleteRowsBatch(
    db,
    { table: invitations, id, where: lt(expiresAt, cutoff), oldestFirst: expiresAt },
    batchSize,
  );
}
