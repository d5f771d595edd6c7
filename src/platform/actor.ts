// The caller as services see them: who, in which organization, with which role.
import type { Role } from "../lib/roles";

export interface Actor {
  userId: string;
  organizationId: string;
  role: Role;
}
