// The fresh proof second-factor changes need (SEC-69): the current password, plus a TOTP code when
// TOTP is enrolled. Interim: helper "lifecycle"'s platform/fresh-proof.ts (password or a sign-in
// within 10 minutes) replaces the password half once it is in main; the TOTP half stays here.
import { AppError } from "../../errors";
import { verifyPassword } from "../../lib/password";
import { RATE_LIMITS, consumeRateLimit } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";
import { findUserById } from "../users/service";
import { consumeSecondFactor, hasTotp } from "./service";

export interface FreshProof {
  currentPassword: string;
  /** A TOTP code; required when TOTP is enrolled, ignored otherwise. */
  code?: string | undefined;
}

/**
 * Throws 401 REAUTH_REQUIRED unless the proof holds. Guesses are limited per account here (per IP
 * by the route), so a stolen session is no faster a way to guess the password or the code than
 * the login form. A TOTP code spent here is spent (the step CAS): it cannot be replayed at login.
 */
export async function requireFreshProof(ctx: ServiceContext, userId: string, proof: FreshProof): Promise<void> {
  await consumeRateLimit(ctx.env, `${RATE_LIMITS.mfaManage.name}:user:${userId}`, RATE_LIMITS.mfaManage);
  const user = await findUserById(ctx, userId);
  const argon2 = { maxConcurrent: ctx.config.argon2.maxConcurrent };
  const isPasswordCorrect =
    user?.passwordHash != null && (await verifyPassword(user.passwordHash, proof.currentPassword, argon2));
  if (!isPasswordCorrect) {
    throw new AppError("REAUTH_REQUIRED", "Confirm it is you: send your current password.");
  }
  if (!(await hasTotp(ctx, userId))) return;
  if (!proof.code || !(await consumeSecondFactor(ctx, userId, { kind: "totp", code: proof.code }))) {
    throw new AppError("REAUTH_REQUIRED", "Confirm it is you: send your current password and a code from your app.");
  }
}
