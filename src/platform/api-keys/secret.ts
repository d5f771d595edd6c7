// The API key itself (SEC-73): "rk_" + 32 CSPRNG bytes (base64url), stored only as its SHA-256.
import { generateToken, hashToken, isWellFormedToken } from "../../lib/crypto";

const API_KEY_PREFIX = "rk_";

/** How much of the key lists show: "rk_" + 8 characters (48 bits), enough to tell keys apart. */
const VISIBLE_PREFIX_LENGTH = API_KEY_PREFIX.length + 8;

export interface GeneratedApiKey {
  /** The whole key: returned once in the creation response and stored nowhere. */
  key: string;
  prefix: string;
  keyHash: string;
}

export async function generateApiKey(): Promise<GeneratedApiKey> {
  const key = `${API_KEY_PREFIX}${generateToken()}`;
  return { key, prefix: key.slice(0, VISIBLE_PREFIX_LENGTH), keyHash: await hashToken(key) };
}

/** "rk_" + exactly 43 base64url characters; anything else is refused before any hashing or D1. */
export function isWellFormedApiKey(value: string): boolean {
  return value.startsWith(API_KEY_PREFIX) && isWellFormedToken(value.slice(API_KEY_PREFIX.length));
}
