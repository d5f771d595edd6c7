// Which organization a new session acts in: one SQL fragment shared by every sign-in path
// (password, passkey, Google, the second step), so they all choose alike, and the user columns
// those sign-ins read with it.
import { and, eq, type SQL, sql } from "drizzle-orm";
import { memberships, organizations, users } from "../../db/schema";

/**
 * What a sign-in reads of its user in the same query as the membership it would act in: select
 * these from `user` joined with `memberships` on signInMembershipOn() and `organizations` on
 * theirs (left joins: the membership columns are null when the user belongs to no organization).
 */
export function signInUserColumns() {
  return {
    id: users.id,
    email: users.email,
    passwordHash: users.passwordHash,
    firstName: users.firstName,
    lastName: users.lastName,
    isSysAdmin: users.isSysAdmin,
    membershipRole: memberships.role,
    createdAt: users.createdAt,
    organizationId: memberships.organizationId,
    organizationsCount: organizationsCountOf(sql`"user"."id"`),
    emailVerifiedAt: users.emailVerifiedAt,
    suspendedAt: users.suspendedAt,
    organizationSuspendedAt: organizations.suspendedAt,
  };
}

/** The join condition of the membership a sign-in acts in (see signInOrganizationIdOf). */
export function signInMembershipOn() {
  return and(
    eq(memberships.userId, users.id),
    eq(memberships.organizationId, signInOrganizationIdOf(sql`"user"."id"`)),
  );
}

/**
 * The user's most recently active membership, preferring an organization that is not suspended
 * (a suspension affects only that organization: the user still signs in to their others). NULL
 * when the user belongs to no organization.
 */
export function signInOrganizationIdOf(userId: SQL): SQL<string | null> {
  return sql<string | null>`(SELECT m.organization_id FROM "membership" AS m
    INNER JOIN "organization" AS o ON o.id = m.organization_id
    WHERE m.user_id = ${userId}
    ORDER BY o.suspended_at IS NULL DESC, m.last_active_at DESC, m.organization_id LIMIT 1)`;
}

/** How many organizations the user belongs to (served from membership's primary key). */
export function organizationsCountOf(userId: SQL): SQL<number> {
  return sql<number>`(SELECT count(*) FROM "membership" AS all_memberships WHERE all_memberships.user_id = ${userId})`;
}
