// Second factors in tests: enrol TOTP through the API and compute the codes an authenticator would.
import { env } from "cloudflare:test";
import { expect } from "vitest";
import { decodeBase32IgnorePadding } from "@oslojs/encoding";
import { generateHOTP } from "@oslojs/otp";
import type { TestClient } from "./client";

export interface EnrolledTotp {
  secret: Uint8Array;
  recoveryCodes: string[];
}

/** The code of the step `stepOffset` away from now (the server accepts -1, 0, +1). */
export function totpCode(secret: Uint8Array, stepOffset = 0, now = Date.now()): string {
  return generateHOTP(secret, BigInt(Math.floor(now / 30_000) + stepOffset), 6);
}

/**
 * Setup and confirm through the API with the client's session, which must be a recent sign-in (the
 * fresh proof then needs no password: no Argon2 verify, no fresh-proof budget spent). The confirm
 * spends the current step.
 */
export async function enrolTotp(client: TestClient): Promise<EnrolledTotp> {
  const setup = await client.post("/auth/mfa/totp/setup", {});
  expect(setup.status).toBe(200);
  const { secret } = (await setup.json()) as { secret: string };
  const secretBytes = decodeBase32IgnorePadding(secret);
  const confirm = await client.post("/auth/mfa/totp/confirm", { code: totpCode(secretBytes) });
  expect(confirm.status).toBe(200);
  const { recovery_codes } = (await confirm.json()) as { recovery_codes: string[] };
  return { secret: secretBytes, recoveryCodes: recovery_codes };
}

/** Forgets the last used step, so a test can spend the current step's code again. */
export async function forgetLastTotpStep(userId: string): Promise<void> {
  await env.DB.prepare("UPDATE totp_credential SET last_used_step = NULL WHERE user_id = ?").bind(userId).run();
}
