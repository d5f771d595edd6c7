// Short-lived access tokens for the project's own downstream services (SEC-74): ES256 with a kid,
// 5 minutes, iss and aud set, signed with the private key of JWT_SIGNING_KEYS (never a shared
// HMAC secret, so a service that verifies tokens cannot mint them).
import { SignJWT } from "jose";
import { misconfiguredError, requireSubsystemConfig } from "../../config";
import type { Actor } from "../../platform/actor";
import type { ServiceContext } from "../../platform/service-context";
import { logEvent } from "../../lib/log";
import { ACCESS_TOKEN_ALGORITHM, loadSigningKeys, type SigningKeys } from "./signing-keys";

/** Five minutes: short enough that no revocation list is needed downstream. */
const ACCESS_TOKEN_TTL_SECONDS = 300;

export interface IssuedAccessToken {
  token: string;
  expiresIn: number;
}

async function requireSigningKeys(
  ctx: ServiceContext,
): Promise<{ keys: SigningKeys; issuer: string; audience: string }> {
  const config = requireSubsystemConfig(ctx.config, "tokenSigning");
  if (!config) throw misconfiguredError(["JWT_SIGNING_KEYS"], { message: "JWT_SIGNING_KEYS is not set." });
  try {
    return { keys: await loadSigningKeys(config), issuer: config.issuer, audience: config.audience };
  } catch (error) {
    logEvent("error", "jwt_signing_key_invalid", { message: error instanceof Error ? error.message : "import failed" });
    throw misconfiguredError(["JWT_SIGNING_KEYS"]);
  }
}

/** A token for the session's user, in the organization and with the role this request resolved. */
export async function issueAccessToken(
  ctx: ServiceContext,
  actor: Actor,
  sessionId: string,
): Promise<IssuedAccessToken> {
  const { keys, issuer, audience } = await requireSigningKeys(ctx);
  const token = await new SignJWT({ org: actor.organizationId, role: actor.role, sid: sessionId })
    .setProtectedHeader({ alg: ACCESS_TOKEN_ALGORITHM, kid: keys.current.kid, typ: "JWT" })
    .setIssuer(issuer)
    .setAudience(audience)
    .setSubject(actor.userId)
    .setIssuedAt()
    .setExpirationTime(`${ACCESS_TOKEN_TTL_SECONDS}s`)
    .setJti(crypto.randomUUID())
    .sign(keys.current.key);
  return { token, expiresIn: ACCESS_TOKEN_TTL_SECONDS };
}

/** The public keys that verify access tokens: the current one and any previous ones still listed. */
export async function readPublicKeySet(ctx: ServiceContext): Promise<SigningKeys["jwks"]> {
  return (await requireSigningKeys(ctx)).keys.jwks;
}
