// TOTP (RFC 6238) as Google Authenticator, 1Password and Authy read it: HMAC-SHA-1, 6 digits, 30 s
// steps. The HOTP arithmetic is @oslojs/otp's; what is ours is the window and which step matched.
import { createTOTPKeyURI, verifyHOTP } from "@oslojs/otp";
import { encodeBase32NoPadding } from "@oslojs/encoding";

const TOTP_PERIOD_SECONDS = 30;
const TOTP_DIGITS = 6;

/** 160 bits, the HMAC-SHA-1 key length RFC 4226 §4 recommends. */
const SECRET_BYTES = 20;

/**
 * Steps accepted around the server's: ±1 (SEC-65), so a code typed just as it rolls over, or a
 * phone clock up to 30 s off, still works. Wider would multiply an online guesser's odds.
 */
const ALLOWED_DRIFT_STEPS = 1;

export function generateTotpSecret(): Uint8Array {
  const secret = new Uint8Array(SECRET_BYTES);
  crypto.getRandomValues(secret);
  return secret;
}

/** The secret as authenticator apps take it typed in: RFC 4648 base32 without padding. */
export function formatTotpSecret(secret: Uint8Array): string {
  return encodeBase32NoPadding(secret);
}

/** The otpauth:// URI a QR code carries (https://github.com/google/google-authenticator/wiki/Key-Uri-Format). */
export function buildTotpURI(issuer: string, accountName: string, secret: Uint8Array): string {
  return createTOTPKeyURI(issuer, accountName, secret, TOTP_PERIOD_SECONDS, TOTP_DIGITS);
}

/** The RFC 6238 time step T = floor(unix time / 30) at `now` (ms). */
function totpStepAt(now: number): number {
  return Math.floor(now / 1000 / TOTP_PERIOD_SECONDS);
}

/**
 * The step within ±1 of `now` whose code is `code`, or null. Every candidate step is computed and
 * compared in constant time (verifyHOTP), without stopping at the first match, so the time taken
 * says nothing about which step matched or how close a guess was. The caller accepts the step only
 * if it is later than the last one used (the replay guard is a compare-and-set in the database).
 */
export function findMatchingTotpStep(secret: Uint8Array, code: string, now: number): number | null {
  if (!/^\d{6}$/.test(code)) return null;
  const current = totpStepAt(now);
  let matched: number | null = null;
  for (let step = current - ALLOWED_DRIFT_STEPS; step <= current + ALLOWED_DRIFT_STEPS; step++) {
    const isMatch = verifyHOTP(secret, BigInt(step), TOTP_DIGITS, code);
    if (isMatch && matched === null) matched = step;
  }
  return matched;
}
