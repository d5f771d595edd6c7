// Signing keys of the short-lived access tokens (SEC-74): JWT_SIGNING_KEYS, a JWK set of ES256
// (P-256) keys. The first key signs; every key's public half is served at /.well-known/jwks.json,
// so tokens signed by the previous key still verify during a rotation. Optional: without it
// POST /auth/token and the JWKS answer 503 MISCONFIGURED, and nothing else is affected.
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, DEV_API_BASE_URL, devDefault } from "./contract";

const base64url = z.string().regex(/^[A-Za-z0-9_-]+$/);

const publicKeySchema = z.object({
  kty: z.literal("EC"),
  crv: z.literal("P-256"),
  x: base64url,
  y: base64url,
  kid: z.string().regex(/^[\x21-\x7e]{1,64}$/),
  alg: z.literal("ES256").optional(),
});

/** A previous key may be published without its private half: it only has to verify. */
const keySchema = publicKeySchema.extend({ d: base64url.optional() });

const keySetSchema = z.object({
  keys: z
    .array(keySchema)
    .min(1)
    .refine((keys) => keys[0]?.d !== undefined, "the first key signs: it needs its private part d")
    .refine((keys) => new Set(keys.map((key) => key.kid)).size === keys.length, "each kid once"),
});

export type SigningJWK = z.infer<typeof keySchema>;

export interface TokenSigningConfig {
  /** keys[0], with its private part: it signs every new token. */
  signingKey: SigningJWK & { d: string };
  /** All of them, signing key first, are published. */
  keys: SigningJWK[];
  issuer: string;
  audience: string;
}

/** The audience when JWT_AUDIENCE is unset: the project's own services, not any third party. */
const DEFAULT_AUDIENCE = "rampart-services";

function parseKeySet(text: string): SigningJWK[] | null {
  try {
    const parsed = keySetSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data.keys : null;
  } catch {
    return null;
  }
}

/** The config, null when JWT_SIGNING_KEYS is unset, or the settings at fault. */
export function readTokenSigningConfig(env: Env): ConfigResult<TokenSigningConfig | null> {
  const text = env.JWT_SIGNING_KEYS?.trim();
  if (!text) return { config: null };
  const keys = parseKeySet(text);
  const issuer = env.JWT_ISSUER || devDefault(env, env.API_BASE_URL, DEV_API_BASE_URL);
  const audience = env.JWT_AUDIENCE || DEFAULT_AUDIENCE;
  const problems: string[] = [];
  if (!keys) problems.push("JWT_SIGNING_KEYS");
  if (!issuer || !/^[\x21-\x7e]{1,256}$/.test(issuer)) problems.push("JWT_ISSUER");
  if (!/^[\x21-\x7e]{1,256}$/.test(audience)) problems.push("JWT_AUDIENCE");
  const signingKey = keys?.[0];
  if (!keys || !signingKey?.d || !issuer || problems.length > 0) return { problems };
  return { config: { signingKey: { ...signingKey, d: signingKey.d }, keys, issuer, audience } };
}
