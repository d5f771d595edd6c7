// Which organization a new session acts in: one SQL fragment shared by every sign-in path
// (password, Google), so they all choose alike.
import { type SQL, sql } from "drizzle-orm";

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
