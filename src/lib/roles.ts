// The one ordered list of roles: a role's index is its precedence.
export const ROLES = ["readonly", "member", "org_admin", "sys_admin"] as const;
export type Role = (typeof ROLES)[number];

export function hasRoleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}

/** Roles that can be given inside an organization; sys_admin never is (SEC-34). */
export const ASSIGNABLE_ROLES = ["readonly", "member", "org_admin"] as const;
export type AssignableRole = (typeof ASSIGNABLE_ROLES)[number];

/**
 * The role a request acts with: sys_admin for platform admins (a user attribute), otherwise the
 * role of the membership in the session's active organization.
 */
export function effectiveRole(isSysAdmin: boolean, membershipRole: AssignableRole): Role {
  return isSysAdmin ? "sys_admin" : membershipRole;
}
