// The OAuth `state` (SEC-39): a short-lived HS256 JWT signed with JWT_SECRET. It carries the
// OpenID nonce and the PKCE challenge, so the callback knows which nonce the ID token must carry
// and which verifier (kept in its own cookie, never in a URL) belongs to this state; and, when the
// sign-in started from an invitation link, that invitation's id (SEC-62), so the callback accepts
// that invitation and no other. The id, not the link's token: the state travels in URLs through
// the provider, and the id alone accepts nothing (the provider must also vouch for its email).
import { SignJWT, errors, jwtVerify } from "jose";
import { generateSecret } from "../../lib/crypto";
import { OAuthFailure } from "./errors";

/** Long enough to pick an account at the provider; short enough that a leaked state soon expires. */
export const STATE_TTL_SECONDS = 10 * 60;

// Bound into every state, so no other token signed with JWT_SECRET can pass for one.
const STATE_TYPE = "oauth-state+jwt";
const STATE_ISSUER = "rampart";
const STATE_AUDIENCE = "rampart/oauth-state";

/** A state token longer than this is not ours (ours are about 350 characters). */
export const MAX_STATE_LENGTH = 2048;

export interface OAuthState {
  /** Random id (jti): the one-time use is recorded under it. */
  id: string;
  provider: string;
  nonce: string;
  codeChallenge: string;
  /** The invitation this sign-in was started from, or null. */
  invitationId: string | null;
  /** Epoch seconds. */
  expiresAt: number;
}

export async function signState(
  secret: string,
  input: { provider: string; nonce: string; codeChallenge: string; invitationId?: string | null },
  now = Date.now(),
): Promise<{ token: string; state: OAuthState }> {
  const issuedAt = Math.floor(now / 1000);
  const state: OAuthState = {
    id: generateSecret(32),
    provider: input.provider,
    nonce: input.nonce,
    codeChallenge: input.codeChallenge,
    invitationId: input.invitationId ?? null,
    expiresAt: issuedAt + STATE_TTL_SECONDS,
  };
  const claims = { provider: state.provider, nonce: state.nonce, cc: state.codeChallenge };
  const token = await new SignJWT(state.invitationId === null ? claims : { ...claims, inv: state.invitationId })
    .setProtectedHeader({ alg: "HS256", typ: STATE_TYPE })
    .setJti(state.id)
    .setIssuer(STATE_ISSUER)
    .setAudience(STATE_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(state.expiresAt)
    .sign(keyFrom(secret));
  return { token, state };
}

/**
 * Signature (HS256 only), type, issuer, audience, expiry (no clock tolerance: we wrote it) and the
 * provider it was made for. Throws OAuthFailure("invalid_state") with the reason otherwise.
 */
export async function verifyState(secret: string, token: string, provider: string): Promise<OAuthState> {
  if (token.length > MAX_STATE_LENGTH) throw new OAuthFailure("invalid_state", "state_malformed");
  let payload: Record<string, unknown>;
  try {
    ({ payload } = await jwtVerify(token, keyFrom(secret), {
      algorithms: ["HS256"],
      typ: STATE_TYPE,
      issuer: STATE_ISSUER,
      audience: STATE_AUDIENCE,
      requiredClaims: ["jti", "exp", "iat"],
    }));
  } catch (error) {
    if (error instanceof errors.JWTExpired) throw new OAuthFailure("invalid_state", "state_expired");
    if (error instanceof errors.JWSSignatureVerificationFailed) throw new OAuthFailure("invalid_state", "state_forged");
    throw new OAuthFailure("invalid_state", "state_malformed");
  }
  const { jti, exp, nonce, cc, inv } = payload;
  if (payload.provider !== provider) throw new OAuthFailure("invalid_state", "state_other_provider");
  if (typeof jti !== "string" || typeof nonce !== "string" || typeof cc !== "string" || typeof exp !== "number") {
    throw new OAuthFailure("invalid_state", "state_malformed");
  }
  if (inv !== undefined && typeof inv !== "string") throw new OAuthFailure("invalid_state", "state_malformed");
  return { id: jti, provider, nonce, codeChallenge: cc, invitationId: inv ?? null, expiresAt: exp };
}

function keyFrom(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
