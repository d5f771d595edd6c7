// The user as the session and every feature see them, and the one mapping from a user row to it.
import type { Role } from "../lib/roles";

export interface UserProfile {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: Role;
  organizationId: string;
  emailVerified: boolean;
  hasPassword: boolean;
  createdAt: number;
}

interface UserRowFields {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  role: Role;
  organizationId: string;
  emailVerifiedAt: number | null;
  createdAt: number;
}

/**
 * A row with the password hash (login, invitation) or only whether there is one (the per-request
 * session read selects no hash, so none is ever loaded where it is not checked). The profile is
 * built field by field, never spread from the row: a hash can never ride along into a response.
 */
export type UserRow = UserRowFields & ({ passwordHash: string | null } | { hasPassword: unknown }); // SQLite 0 or 1

export function toUserProfile(row: UserRow): UserProfile {
  return {
    id: row.id,
    email: row.email,
    firstName: row.firstName,
    lastName: row.lastName,
    role: row.role,
    organizationId: row.organizationId,
    emailVerified: row.emailVerifiedAt !== null,
    hasPassword: "passwordHash" in row ? row.passwordHash !== null : Boolean(row.hasPassword),
    createdAt: row.createdAt,
  };
}
