// The caller as services see them: who, in which organization, with which role.
import type { Role } from "../lib/roles";

export interface Actor {
  /** The signed-in user, or for an API key the user who created it (the key acts on their behalf). */
  userId: string;
  organizationId: string;
  /** The member's role, or the key's ceiling (readonly or member). */
  role: Role;
  /** Set when an organization API key is the principal: usage and audit rows name it. */
  apiKey?: ApiKeyActor;
}

/** The key acting, and its own AI token cap per period (null: only the organization's caps apply). */
export interface ApiKeyActor {
  id: string;
  aiTokenLimit: number | null;
}
