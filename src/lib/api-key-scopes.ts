// What an organization API key may be given (SEC-73): its role ceiling and its scopes.

/** A key never manages anything: its ceiling is member at most. */
export const API_KEY_ROLES = ["readonly", "member"] as const;
export type ApiKeyRole = (typeof API_KEY_ROLES)[number];

/**
 * The scopes a route may ask for. There is deliberately none for members, keys, settings or
 * billing: a key can never reach those routes, whatever it is given.
 */
export const API_KEY_SCOPES = ["notes:read", "notes:write", "ai:use", "usage:read", "plan:read"] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];
