// Recovery codes (SEC-66): 10 per set, 80 random bits each, shown once and stored as a salted
// SHA-256. A slow hash (Argon2) protects low-entropy passwords; an 80-bit random code needs none:
// with the user id as salt, finding one code from a stolen hash is a 2^80 search per user, and a
// code alone is not a sign-in anyway (it replaces only the second factor).
import { encodeHex } from "../../lib/crypto";

export const RECOVERY_CODES_PER_SET = 10;

/** Crockford-like base32 without I, L, O, U: nothing to misread when typed from paper. */
const ALPHABET = "0123456789abcdefghjkmnpqrstvwxyz";
/** 16 characters of 5 bits: 80 bits. */
const CODE_LENGTH = 16;
const GROUP_LENGTH = 4;

/** A fresh set, formatted `xxxx-xxxx-xxxx-xxxx` for the person who writes them down. */
export function generateRecoveryCodes(): string[] {
  return Array.from({ length: RECOVERY_CODES_PER_SET }, generateRecoveryCode);
}

function generateRecoveryCode(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(CODE_LENGTH));
  // 256 is a multiple of 32, so `byte % 32` is uniform.
  const characters = Array.from(bytes, (byte) => ALPHABET[byte % ALPHABET.length]).join("");
  return characters.match(new RegExp(`.{${GROUP_LENGTH}}`, "g"))?.join("-") ?? characters;
}

/** The code as typed (any case, with or without dashes or spaces), or null when it cannot be one. */
export function normalizeRecoveryCode(input: string): string | null {
  const compact = input.toLowerCase().replace(/[\s-]/g, "");
  return compact.length === CODE_LENGTH && [...compact].every((char) => ALPHABET.includes(char)) ? compact : null;
}

/** What is stored: SHA-256 of the user id and the normalized code. */
export async function hashRecoveryCode(userId: string, normalizedCode: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${userId}:${normalizedCode}`));
  return encodeHex(new Uint8Array(digest));
}
