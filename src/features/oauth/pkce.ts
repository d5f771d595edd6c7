// PKCE (RFC 7636) with S256 only: a random verifier kept by the browser, its hash sent to the provider.
import { encodeBase64URL, generateSecret, timingSafeEqual } from "../../lib/crypto";

export interface PKCEPair {
  /** 32 random bytes, base64url (43 characters of the RFC's unreserved set). */
  verifier: string;
  /** BASE64URL(SHA-256(verifier)), the code_challenge for code_challenge_method=S256. */
  challenge: string;
}

export async function createPKCEPair(): Promise<PKCEPair> {
  const verifier = generateSecret(32);
  return { verifier, challenge: await computeCodeChallenge(verifier) };
}

export async function computeCodeChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return encodeBase64URL(new Uint8Array(digest));
}

/** RFC 7636 §4.1: 43 to 128 characters of [A-Za-z0-9-._~]. */
function isWellFormedVerifier(value: string): boolean {
  return /^[A-Za-z0-9._~-]{43,128}$/.test(value);
}

/** Does the verifier hash to the challenge? Constant time in the comparison. */
export async function matchesCodeChallenge(verifier: string, challenge: string): Promise<boolean> {
  if (!isWellFormedVerifier(verifier)) return false;
  return timingSafeEqual(await computeCodeChallenge(verifier), challenge);
}
