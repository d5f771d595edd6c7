// Second-factor settings (SEC-65): the key that encrypts TOTP secrets at rest. Required outside dev;
// a missing or malformed key is a problem of the second-factor routes alone (503 MISCONFIGURED
// there), so a deployment without it still serves everyone who has no second factor.
import { z } from "zod";
import type { Env } from "../env";
import { type ConfigResult, readEnvironment } from "./contract";

export interface MfaConfig {
  /** 32 random bytes (AES-256-GCM), from MFA_ENCRYPTION_KEY. */
  encryptionKey: Uint8Array;
}

/**
 * Dev only, when .dev.vars predates MFA_ENCRYPTION_KEY (`npm run dev` adds one to a new .dev.vars):
 * a published key protects nothing, so it is never accepted outside dev.
 */
const DEV_ENCRYPTION_KEY = "cmFtcGFydC1kZXYtb25seS1tZmEta2V5LTMyLWJ5dGU";

/** 32 bytes, base64url or base64 (43 or 44 characters): `openssl rand -base64 32` fits. */
const keySchema = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_+/-]{43}=?$/)
  .transform((value) => decodeBase64(value))
  .refine((bytes) => bytes.length === 32);

function decodeBase64(value: string): Uint8Array {
  const binary = atob(value.replaceAll("-", "+").replaceAll("_", "/").replace(/=*$/, "="));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}

export function readMfaConfig(env: Env): ConfigResult<MfaConfig> {
  const value = env.MFA_ENCRYPTION_KEY || (readEnvironment(env) === "dev" ? DEV_ENCRYPTION_KEY : undefined);
  const parsed = keySchema.safeParse(value ?? "");
  if (!parsed.success) return { problems: ["MFA_ENCRYPTION_KEY"] };
  return { config: { encryptionKey: parsed.data } };
}
