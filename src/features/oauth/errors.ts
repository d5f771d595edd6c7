// The stable codes the Google callback puts in <WEB_BASE_URL>/login?error=CODE
// (docs/google-sign-in.md), and the failure that carries one from any step of the flow to the route.

export const OAUTH_ERROR_CODES = [
  /** The state is missing, forged, expired, already used, or does not match this browser's cookie. */
  "invalid_state",
  /** The person declined at the provider (error=access_denied). */
  "access_denied",
  /** Any other error from the provider: an error parameter, no code, a refused code exchange. */
  "provider_error",
  /** The provider could not be reached or answered with a server error or nonsense. */
  "provider_unavailable",
  /** The ID token failed verification: signature, issuer, audience, expiry, nonce, claims. */
  "invalid_id_token",
  /** The provider did not assert email_verified: true (a string "false" or a missing claim is refusal). */
  "email_not_verified",
  /**
   * No account, and no invitation to create one from: B2B without an invitation link, or the
   * invitation the sign-in started from is no longer pending or was sent to another email.
   */
  "not_invited",
  "account_suspended",
  "organization_suspended",
  /** The account is already linked to another identity of this provider. */
  "account_conflict",
  "rate_limited",
  /** Anything unexpected; details are in the logs. */
  "server_error",
] as const;

export type OAuthErrorCode = (typeof OAUTH_ERROR_CODES)[number];

/**
 * A sign-in that cannot continue. `code` is what the browser sees; `reason` is for logs and the
 * audit row only (never a token, a secret or provider text beyond a short error code).
 */
export class OAuthFailure extends Error {
  readonly code: OAuthErrorCode;
  readonly reason: string;
  /** Who it was about, once known (for the audit row). */
  readonly subject: { userId: string; organizationId: string } | null;

  constructor(code: OAuthErrorCode, reason: string, subject: { userId: string; organizationId: string } | null = null) {
    super(`${code}: ${reason}`);
    this.name = "OAuthFailure";
    this.code = code;
    this.reason = reason;
    this.subject = subject;
  }
}
