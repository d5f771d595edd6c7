// The one ordered list of roles: a role's index is its precedence.
export const ROLES = ["readonly", "member", "org_admin", "sys_admin"] as const;
export type Role = (typeof ROLES)[number];

export function hasRoleAtLeast(role: Role, minimum: Role): boolean {
  return ROLES.indexOf(role) >= ROLES.indexOf(minimum);
}
