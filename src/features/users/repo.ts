// User and organization rows for the account flows. No rules here.
import { and, eq, inArray, isNull, sql, type SQLWrapper } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, organizations, users } from "../../db/schema";
import { hasSecondFactor } from "../../db/second-factor";
import {
  signInMembershipOn,
  signInOrganizationIdOf,
  signInUserColumns,
} from "../../platform/sessions/sign-in-organization";

/**
 * What a sign-in needs of a user, in one read: the hash, the states that refuse a sign-in, the
 * membership it would act in (its most recently active one; null columns when the user belongs to
 * no organization any more), and whether a second factor is due. The last is a primary-key probe
 * inside this same query, so an account without one signs in with no extra read, and every email
 * costs the same (SEC-6).
 */
function selectSignInUser(db: Database) {
  return db
    .select({ ...signInUserColumns(), hasSecondFactor: hasSecondFactor(users.id) })
    .from(users)
    .leftJoin(memberships, signInMembershipOn())
    .leftJoin(organizations, eq(organizations.id, memberships.organizationId));
}

export function findUserByEmail(db: Database, email: string) {
  return selectSignInUser(db).where(eq(users.email, email)).get();
}

/** As findUserByEmail, by id: the second step of a sign-in re-reads the user it was started for. */
export function findSignInUserById(db: Database, userId: string) {
  return selectSignInUser(db).where(eq(users.id, userId)).get();
}

/** The account, with the organization a sign-in would act in (null when it belongs to none). */
export function findUserById(db: Database, userId: string) {
  return db
    .select({
      id: users.id,
      email: users.email,
      passwordHash: users.passwordHash,
      firstName: users.firstName,
      lastName: users.lastName,
      isSysAdmin: users.isSysAdmin,
      emailVerifiedAt: users.emailVerifiedAt,
      suspendedAt: users.suspendedAt,
      createdAt: users.createdAt,
      updatedAt: users.updatedAt,
      organizationId: signInOrganizationIdOf(sql`"user"."id"`),
    })
    .from(users)
    .where(eq(users.id, userId))
    .get();
}

export function buildOrganizationInsert(db: Database, row: { id: string; name: string; createdAt: number }) {
  return db.insert(organizations).values(row);
}

export interface NewUserRow {
  id: string;
  email: string;
  passwordHash: string | null;
  firstName: string | null;
  lastName: string | null;
  emailVerifiedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export function buildUserInsert(db: Database, row: NewUserRow) {
  return db.insert(users).values(row);
}

export function buildPasswordHashUpdate(db: Database, userId: string, passwordHash: string, now: number) {
  return db.update(users).set({ passwordHash, updatedAt: now }).where(eq(users.id, userId));
}

export function updateUserNames(
  db: Database,
  userId: string,
  names: { firstName?: string | null; lastName?: string | null },
  now: number,
) {
  return db
    .update(users)
    .set({ ...names, updatedAt: now })
    .where(eq(users.id, userId))
    .returning()
    .get();
}

/** Marks as verified the user the subquery selects (none when it selects nothing). */
export function buildMarkEmailVerified(
  db: Database,
  userIds: SQLWrapper,
  now: number,
  options: { onlyIfUnverified?: boolean } = {},
) {
  const selected = inArray(users.id, userIds);
  return db
    .update(users)
    .set({ emailVerifiedAt: now, updatedAt: now })
    .where(options.onlyIfUnverified ? and(selected, isNull(users.emailVerifiedAt)) : selected);
}
