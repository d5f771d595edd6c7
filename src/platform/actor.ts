// The caller as services see them: who, in which organization, with which role.
import type { Role } from "../lib/roles";

export interface Actor {
  /** The signed-in user, or for an API key the user who created it (the key acts on their behalf). */
  userId: string;
  organizationId: string;
  /** The member's role, or the key's ceiling (readonly or member). */
  role: Role;
  /** Set when an organization API key is the principal: audit rows and logs name it. */
  apiKeyId?: string;
}
