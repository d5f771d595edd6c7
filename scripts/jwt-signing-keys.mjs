#!/usr/bin/env node
// JWT_SIGNING_KEYS (SEC-74): a JWK set of ES256 (P-256) private keys; the first signs.
//   node scripts/jwt-signing-keys.mjs                  prints a set with one new key
//   node scripts/jwt-signing-keys.mjs --rotate FILE    prints a new key followed by FILE's first
//                                                      key: the previous one, still published in
//                                                      the JWKS so tokens it signed verify until
//                                                      they expire (5 minutes); older keys drop off.
// `npm run dev` uses generateSigningKeySet() for .dev.vars; the tests for their bindings.
import { generateKeyPairSync, randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

/** One new private JWK with a random kid. */
function generateSigningKey() {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  const { kty, crv, x, y, d } = privateKey.export({ format: "jwk" });
  return { kty, crv, x, y, d, kid: randomBytes(8).toString("hex"), alg: "ES256" };
}

/** A set whose first key is new; `previous` keys follow it (published, no longer signing). */
export function generateSigningKeySet(previous = []) {
  return JSON.stringify({ keys: [generateSigningKey(), ...previous] });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [flag, file] = process.argv.slice(2);
  if (flag !== undefined && (flag !== "--rotate" || !file)) {
    console.error("usage: node scripts/jwt-signing-keys.mjs [--rotate CURRENT_SET_FILE]");
    process.exit(2);
  }
  const previous = file ? JSON.parse(readFileSync(file, "utf8")).keys.slice(0, 1) : [];
  console.log(generateSigningKeySet(previous));
}
