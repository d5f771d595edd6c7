// TOTP secrets at rest (SEC-65): AES-256-GCM under MFA_ENCRYPTION_KEY, with the user id as
// additional data, so a database copy yields no working codes and a ciphertext moved to another
// user's row does not decrypt. https://developer.mozilla.org/en-US/docs/Web/API/SubtleCrypto/encrypt#aes-gcm
import { encodeBase64URL } from "../../lib/crypto";

/** Stored as `v1.<iv>.<ciphertext>`: the version names the key and format, for a later rotation. */
const FORMAT_VERSION = "v1";

/** 96-bit IVs, random per encryption: at a few encryptions per user, far from GCM's 2^32 bound. */
const IV_BYTES = 12;

const importedKeys = new WeakMap<Uint8Array, Promise<CryptoKey>>();

function importKey(rawKey: Uint8Array): Promise<CryptoKey> {
  let key = importedKeys.get(rawKey);
  if (!key) {
    key = crypto.subtle.importKey("raw", rawKey, "AES-GCM", false, ["encrypt", "decrypt"]);
    importedKeys.set(rawKey, key);
  }
  return key;
}

export async function encryptTotpSecret(rawKey: Uint8Array, userId: string, secret: Uint8Array): Promise<string> {
  const iv = crypto.getRandomValues(new Uint8Array(IV_BYTES));
  const ciphertext = await crypto.subtle.encrypt(
    { name: "AES-GCM", iv, additionalData: new TextEncoder().encode(userId) },
    await importKey(rawKey),
    secret,
  );
  return `${FORMAT_VERSION}.${encodeBase64URL(iv)}.${encodeBase64URL(new Uint8Array(ciphertext))}`;
}

/** The secret, or null when the value was not encrypted for this user under this key. */
export async function decryptTotpSecret(
  rawKey: Uint8Array,
  userId: string,
  stored: string,
): Promise<Uint8Array | null> {
  const [version, iv, ciphertext] = stored.split(".");
  if (version !== FORMAT_VERSION || !iv || !ciphertext) return null;
  try {
    const plaintext = await crypto.subtle.decrypt(
      { name: "AES-GCM", iv: decodeBase64URL(iv), additionalData: new TextEncoder().encode(userId) },
      await importKey(rawKey),
      decodeBase64URL(ciphertext),
    );
    return new Uint8Array(plaintext);
  } catch {
    return null; // another key (MFA_ENCRYPTION_KEY changed) or another user's row
  }
}

function decodeBase64URL(value: string): Uint8Array {
  const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/"));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
