// The signing keys of JWT_SIGNING_KEYS, imported once per isolate and config, and their public JWKS.
import { importJWK } from "jose";
import type { SigningJWK, TokenSigningConfig } from "../../config/token-signing";

export const ACCESS_TOKEN_ALGORITHM = "ES256" as const;

/** A verification key as published (RFC 7517): the public coordinates only. */
interface PublicJWK {
  kty: "EC";
  crv: "P-256";
  x: string;
  y: string;
  kid: string;
  alg: typeof ACCESS_TOKEN_ALGORITHM;
  use: "sig";
}

export interface SigningKeys {
  /** keys[0] of the set: every new token is signed with it. */
  current: { kid: string; key: CryptoKey };
  /** Public halves only (never d), current first: what /.well-known/jwks.json serves. */
  jwks: { keys: PublicJWK[] };
}

function toPublicJWK(key: SigningJWK): PublicJWK {
  return { kty: key.kty, crv: key.crv, x: key.x, y: key.y, kid: key.kid, alg: ACCESS_TOKEN_ALGORITHM, use: "sig" };
}

const imported = new WeakMap<TokenSigningConfig, Promise<SigningKeys>>();

async function importSigningKeys(config: TokenSigningConfig): Promise<SigningKeys> {
  const { signingKey } = config;
  // The import fails here if the numbers are not a point of P-256 (the reader checks only the shape).
  const key = await importJWK({ ...signingKey, alg: ACCESS_TOKEN_ALGORITHM }, ACCESS_TOKEN_ALGORITHM);
  if (!(key instanceof CryptoKey)) throw new TypeError("the signing key did not import as a CryptoKey");
  return { current: { kid: signingKey.kid, key }, jwks: { keys: config.keys.map(toPublicJWK) } };
}

export function loadSigningKeys(config: TokenSigningConfig): Promise<SigningKeys> {
  let keys = imported.get(config);
  if (!keys) {
    keys = importSigningKeys(config);
    // A failed import is not cached: the next request tries again (and fails the same way, loudly).
    keys.catch(() => imported.delete(config));
    imported.set(config, keys);
  }
  return keys;
}
