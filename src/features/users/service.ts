// Profile rules for the signed-in user.
import type { Database } from "../../db/client";
import { updateUserNames } from "../auth/user-repo";
import type { UserProfile } from "./schemas";

/** Only the names a body actually carries change; `null` clears one. */
export async function updateMyNames(
  db: Database,
  user: UserProfile,
  names: { firstName?: string | null | undefined; lastName?: string | null | undefined },
): Promise<UserProfile> {
  const changes: { firstName?: string | null; lastName?: string | null } = {};
  if (names.firstName !== undefined) changes.firstName = names.firstName;
  if (names.lastName !== undefined) changes.lastName = names.lastName;
  const row = await updateUserNames(db, user.id, changes, Date.now());
  if (!row) return user;
  return { ...user, firstName: row.firstName, lastName: row.lastName };
}
