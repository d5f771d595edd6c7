// Device tokens (SEC-55): proof that this browser signed in to this account before, so strangers'
// failed guesses never hold it back (OWASP "Slow down online guessing attacks with device cookies",
// https://owasp.org/www-community/Slow_Down_Online_Guessing_Attacks_with_Device_Cookies).
// An HS256 JWT signed with JWT_SECRET: sub is the user id, jti a random device id, 30 days.
import { SignJWT, jwtVerify } from "jose";
import { generateSecret } from "../../lib/crypto";

export const DEVICE_TOKEN_TTL_SECONDS = 30 * 24 * 60 * 60;

// Bound into every device token, so no other token signed with JWT_SECRET (an OAuth state) can
// pass for one, and a device token can pass for nothing else.
const DEVICE_TYPE = "login-device+jwt";
const DEVICE_ISSUER = "rampart";
const DEVICE_AUDIENCE = "rampart/login-device";

/** Ours are about 300 characters; anything much longer is not worth verifying. */
const MAX_DEVICE_TOKEN_LENGTH = 1024;

export async function signDeviceToken(secret: string, userId: string, now = Date.now()): Promise<string> {
  const issuedAt = Math.floor(now / 1000);
  return new SignJWT({})
    .setProtectedHeader({ alg: "HS256", typ: DEVICE_TYPE })
    .setSubject(userId)
    .setJti(generateSecret(16))
    .setIssuer(DEVICE_ISSUER)
    .setAudience(DEVICE_AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + DEVICE_TOKEN_TTL_SECONDS)
    .sign(keyFrom(secret));
}

/**
 * The device id when `token` is a valid, unexpired device token of `userId`; null otherwise
 * (forged, expired, another account's, malformed, or no such user). The signature is checked
 * whether or not there is a user, so an unknown email costs what a known one costs (SEC-6).
 */
export async function verifyDeviceToken(secret: string, token: string, userId: string | null): Promise<string | null> {
  if (token.length > MAX_DEVICE_TOKEN_LENGTH) return null;
  let payload: { sub?: unknown; jti?: unknown };
  try {
    ({ payload } = await jwtVerify(token, keyFrom(secret), {
      algorithms: ["HS256"],
      typ: DEVICE_TYPE,
      issuer: DEVICE_ISSUER,
      audience: DEVICE_AUDIENCE,
      requiredClaims: ["sub", "jti", "exp"],
    }));
  } catch {
    return null;
  }
  if (userId === null || payload.sub !== userId || typeof payload.jti !== "string") return null;
  return payload.jti;
}

function keyFrom(secret: string): Uint8Array {
  return new TextEncoder().encode(secret);
}
