// User rules, and the one way other features reach user rows (users/repo.ts is this feature's own).
import type { SQLWrapper } from "drizzle-orm";
import type { ServiceContext } from "../../platform/service-context";
import * as repo from "./repo";
import type { NewUserRow } from "./repo";
import type { UserProfile } from "../../platform/user-profile";

export type { NewUserRow };

export function findUserByEmail(ctx: ServiceContext, email: string) {
  return repo.findUserByEmail(ctx.db, email);
}

export function findSignInUserById(ctx: ServiceContext, userId: string) {
  return repo.findSignInUserById(ctx.db, userId);
}

export function findUserById(ctx: ServiceContext, userId: string) {
  return repo.findUserById(ctx.db, userId);
}

// The build* functions return unexecuted statements: the caller puts them in the batch of its own
// change, because D1 has no interactive transactions and a multi-row change must be one batch().

export function buildOrganizationInsert(ctx: ServiceContext, row: { id: string; name: string; createdAt: number }) {
  return repo.buildOrganizationInsert(ctx.db, row);
}

export function buildUserInsert(ctx: ServiceContext, row: NewUserRow) {
  return repo.buildUserInsert(ctx.db, row);
}

export function buildPasswordHashUpdate(ctx: ServiceContext, userId: string, passwordHash: string, now: number) {
  return repo.buildPasswordHashUpdate(ctx.db, userId, passwordHash, now);
}

/** Marks as verified the user the subquery selects (none when it selects nothing). */
export function buildMarkEmailVerified(
  ctx: ServiceContext,
  userIds: SQLWrapper,
  now: number,
  options: { onlyIfUnverified?: boolean } = {},
) {
  return repo.buildMarkEmailVerified(ctx.db, userIds, now, options);
}

/** Only the names a body actually carries change; `null` clears one. */
export async function updateMyNames(
  ctx: ServiceContext,
  user: UserProfile,
  names: { firstName?: string | null | undefined; lastName?: string | null | undefined },
): Promise<UserProfile> {
  const changes: { firstName?: string | null; lastName?: string | null } = {};
  if (names.firstName !== undefined) changes.firstName = names.firstName;
  if (names.lastName !== undefined) changes.lastName = names.lastName;
  const row = await repo.updateUserNames(ctx.db, user.id, changes, Date.now());
  if (!row) return user;
  return { ...user, firstName: row.firstName, lastName: row.lastName };
}
