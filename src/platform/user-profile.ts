// The user as the session and every feature see them, and the one mapping from a user row to it.
import { type AssignableRole, effectiveRole, type Role } from "../lib/roles";

export interface UserProfile {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  /** The effective role: sys_admin for platform admins, else the role in the active organization. */
  role: Role;
  /** The session's active organization. */
  organizationId: string;
  organizationsCount: number;
  emailVerified: boolean;
  hasPassword: boolean;
  createdAt: number;
}

interface UserRowFields {
  id: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  isSysAdmin: boolean;
  membershipRole: AssignableRole;
  organizationId: string;
  organizationsCount: number;
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
    role: effectiveRole(row.isSysAdmin, row.membershipRole),
    organizationId: row.organizationId,
    organizationsCount: row.organizationsCount,
    emailVerified: row.emailVerifiedAt !== null,
    hasPassword: "passwordHash" in row ? row.passwordHash !== null : Boolean(row.hasPassword),
    createdAt: row.createdAt,
  };
}
