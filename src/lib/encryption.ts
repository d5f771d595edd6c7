// AES-256-GCM over WebCrypto for secrets the server must read back (a webhook signing secret is
// needed in clear to sign): a fresh 96-bit IV per message (NIST SP 800-38D, 8.2), the IV stored
// in front of the ciphertext and its tag. No Hono, no D1.
import { encodeBase64URL } from "./crypto";

const IV_BYTES = 12;
const KEY_BYTES = 32;

/** A 32-byte key, base64url (what `npm run dev` generates for WEBHOOK_ENCRYPTION_KEY). */
export function decodeKey(encoded: string): Uint8Array | null {
  const bytes = decodeBase64URL(encoded);
  return bytes?.length === KEY_BYTES ? bytes : null;
}

const keys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importKey(raw: Uint8Array): Promise<CryptoKey> {
  let key = keys.get(raw);
  if (!key) {
    key = crypto.subtle.importKey("raw", raw, "AES-GCM", false, ["encrypt", "decrypt"]);
    keys.set(raw, key);
  }
  return key;
}

/**
 * `additionalData` binds the ciphertext to its row (e.g. the endpoint id), so a ciphertext copied
 * onto another row does not decrypt there.
 */
export async function encryptText(key: Uint8Array, plaintext: string, additionalData: string): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const sealed = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(additionalData) },
    await importKey(key),
    new TextEncoder().encode(plaintext),
  );
  const out = new Uint8Array(IV_BYTES + sealed.byteLength);
  out.set(iv);
  out.set(new Uint8Array(sealed), IV_BYTES);
  return encodeBase64URL(out);
}

/** The plaintext, or null when the ciphertext, its row binding or the key is wrong. */
export async function decryptText(key: Uint8Array, ciphertext: string, additionalData: string): Promise<string | null> {
  const bytes = decodeBase64URL(ciphertext);
  if (!bytes || bytes.length <= IV_BYTES) return null;
  try {
    const plain = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: bytes.slice(0, IV_BYTES), additionalData: new TextEncoder().encode(additionalData) },
      await importKey(key),
      bytes.slice(IV_BYTES),
    );
    return new TextDecoder().decode(plain);
  } catch {
    return null;
  }
}

function decodeBase64URL(encoded: string): Uint8Array | null {
  if (!/^[A-Za-z0-9_-]*$/.test(encoded)) return null;
  const base64 = encoded.replaceAll("-", "+").replaceAll("_", "/");
  try {
    return Uint8Array.from(atob(base64 + "=".repeat((4 - (base64.length % 4)) % 4)), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}
