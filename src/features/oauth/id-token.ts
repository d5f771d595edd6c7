// ID token verification (OpenID Connect Core §3.1.3.7, SEC-40): signature against the provider's
// JWKS, issuer, audience = our client id, expiry, and the nonce this browser's state carries.
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload } from "jose";
import { GOOGLE_ISSUER } from "../../config/google";
import { timingSafeEqual } from "../../lib/crypto";
import type { ProviderMetadata } from "./discovery";
import { OAuthFailure } from "./errors";

export interface VerifiedIdentity {
  /** `sub`: the account's stable id at the provider. */
  subject: string;
  email: string | null;
  /** True only for the boolean claim `true`; "true" as a string, "false", false or absent is false. */
  isEmailVerified: boolean;
  givenName: string | null;
  familyName: string | null;
}

/** Asymmetric algorithms only: HS* would verify with the client secret, `none` with nothing. */
const ALLOWED_ALGORITHMS = ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"];
/** Tolerated clock difference with the provider, in seconds. */
const CLOCK_TOLERANCE_SECONDS = 60;
const MAX_SUBJECT_LENGTH = 255;
const MAX_ID_TOKEN_LENGTH = 16 * 1024;

/** One key set per JWKS URI per isolate: jose caches the keys and refetches on an unknown kid. */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(jwksURI: string): ReturnType<typeof createRemoteJWKSet> {
  let keySet = keySets.get(jwksURI);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(jwksURI), { timeoutDuration: 10_000, cooldownDuration: 30_000 });
    keySets.set(jwksURI, keySet);
  }
  return keySet;
}

/** Google's ID tokens say iss "https://accounts.google.com" or "accounts.google.com" (its docs). */
export function acceptedIssuers(issuer: string): string[] {
  return issuer === GOOGLE_ISSUER ? [GOOGLE_ISSUER, "accounts.google.com"] : [issuer];
}

export async function verifyIDToken(
  idToken: string,
  options: { metadata: ProviderMetadata; clientId: string; nonce: string },
): Promise<VerifiedIdentity> {
  if (idToken.length > MAX_ID_TOKEN_LENGTH) throw new OAuthFailure("invalid_id_token", "id_token_too_large");
  const published = options.metadata.idTokenSigningAlgorithms.filter((name) => ALLOWED_ALGORITHMS.includes(name));
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, keySetFor(options.metadata.jwksURI), {
      algorithms: published.length > 0 ? published : ["RS256"],
      issuer: acceptedIssuers(options.metadata.issuer),
      audience: options.clientId,
      requiredClaims: ["sub", "iat", "exp"],
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
    }));
  } catch (error) {
    throw classifyVerificationError(error);
  }
  // §3.1.3.7 item 4/5: with several audiences, the token must have been issued to us (azp).
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if ((audiences.length > 1 || payload.azp !== undefined) && payload.azp !== options.clientId) {
    throw new OAuthFailure("invalid_id_token", "claim_azp");
  }
  // The nonce ties this token to the authorization request this browser started (replay defence).
  if (typeof payload.nonce !== "string" || !timingSafeEqual(payload.nonce, options.nonce)) {
    throw new OAuthFailure("invalid_id_token", "claim_nonce");
  }
  const subject = payload.sub;
  if (typeof subject !== "string" || subject.length === 0 || subject.length > MAX_SUBJECT_LENGTH) {
    throw new OAuthFailure("invalid_id_token", "claim_sub");
  }
  return {
    subject,
    email: typeof payload.email === "string" ? payload.email : null,
    isEmailVerified: payload.email_verified === true,
    givenName: typeof payload.given_name === "string" ? payload.given_name : null,
    familyName: typeof payload.family_name === "string" ? payload.family_name : null,
  };
}

/** Verification failures are invalid_id_token; failing to fetch the keys is provider_unavailable. */
function classifyVerificationError(error: unknown): OAuthFailure {
  // jose reports a JWKS answer that is not 200 or not JSON as a plain JOSEError (ERR_JOSE_GENERIC).
  const isGeneric = error instanceof errors.JOSEError && error.code === "ERR_JOSE_GENERIC";
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JWKSInvalid || isGeneric) {
    return new OAuthFailure("provider_unavailable", "jwks_unavailable");
  }
  if (error instanceof errors.JWTClaimValidationFailed || error instanceof errors.JWTExpired) {
    return new OAuthFailure("invalid_id_token", `claim_${error.claim}`);
  }
  if (error instanceof errors.JOSEError) {
    return new OAuthFailure("invalid_id_token", error.code.toLowerCase());
  }
  // Not jose's own verdict: the JWKS fetch itself failed (network, status, body).
  return new OAuthFailure("provider_unavailable", "jwks_unavailable");
}
