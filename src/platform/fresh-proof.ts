// Fresh proof for sensitive actions (SEC-69; API.md, "Second factors and passkeys"): the current
// password, plus a second-factor code when one is enrolled, in the same request; or a sign-in on
// this session within the last 10 minutes. Password change, email change, account deletion,
// second-factor changes and API key creation all call requireFreshProof before changing anything.
import { AppError } from "../errors";
import { verifyPassword } from "../lib/password";
import { MINUTE_MS } from "../lib/time";
import { consumeRateLimit, type RateLimitPolicy } from "./rate-limit";
import type { ServiceContext } from "./service-context";

/** How long a sign-in stands in for the password (OWASP ASVS V3.7.1 "re-authentication"). */
export const FRESH_SIGN_IN_MS = 10 * MINUTE_MS;

/**
 * Password guesses through any sensitive action share one budget per account, login's (5 per
 * 15 min): a stolen cookie, used from many IPs, must not guess the password faster than the
 * login form does (SEC-13). One bucket for every action, so adding actions adds no guesses.
 */
const FRESH_PROOF_LIMIT: RateLimitPolicy = { name: "fresh-proof", limit: 5, windowSeconds: 15 * 60 };

export interface FreshProofSubject {
  userId: string;
  /** The account's PHC string, or null for an account that signs in with Google only. */
  passwordHash: string | null;
  /** When this session's sign-in happened (session.authenticated_at, epoch ms). */
  authenticatedAt: number;
}

/** What the request brought; both optional, as a recent sign-in needs neither. */
export interface FreshProofClaim {
  currentPassword?: string | undefined;
  code?: string | undefined;
}

/** Which proof held, for the audit trail. */
export type FreshProof = "password" | "recent_sign_in";

const REAUTH_MESSAGE =
  "Confirm it is you: send your current password (and a code from your authenticator when it is on), or sign in again.";

/**
 * Throws REAUTH_REQUIRED (401) when the request carries no proof and the sign-in is older than
 * FRESH_SIGN_IN_MS. A password that is sent is always checked, even on a fresh session: a wrong
 * one is 422 on current_password and never falls back to the sign-in time. A code is asked for
 * only with a password: a sign-in already passed the second factor.
 */
export async function requireFreshProof(
  ctx: ServiceContext,
  subject: FreshProofSubject,
  claim: FreshProofClaim,
  now = Date.now(),
): Promise<FreshProof> {
  if (claim.currentPassword !== undefined && subject.passwordHash !== null) {
    await verifyPasswordProof(ctx, subject.userId, subject.passwordHash, claim.currentPassword);
    await verifySecondFactorProof(ctx, subject.userId, claim.code);
    return "password";
  }
  if (isRecentSignIn(subject.authenticatedAt, now)) return "recent_sign_in";
  throw new AppError("REAUTH_REQUIRED", REAUTH_MESSAGE);
}

/** A future authenticatedAt (clock skew, a forged row) is not fresh either. */
function isRecentSignIn(authenticatedAt: number, now: number): boolean {
  return authenticatedAt <= now && now - authenticatedAt <= FRESH_SIGN_IN_MS;
}

async function verifyPasswordProof(
  ctx: ServiceContext,
  userId: string,
  passwordHash: string,
  password: string,
): Promise<void> {
  await consumeRateLimit(ctx.env, `${FRESH_PROOF_LIMIT.name}:user:${userId}`, FRESH_PROOF_LIMIT);
  if (!(await verifyPassword(passwordHash, password, { maxConcurrent: ctx.config.argon2.maxConcurrent }))) {
    throw new AppError("VALIDATION_ERROR", "The current password is incorrect.", {
      fields: [{ field: "current_password", message: "The current password is incorrect." }],
    });
  }
}

async function verifySecondFactorProof(ctx: ServiceContext, userId: string, code: string | undefined): Promise<void> {
  if (!(await ctx.secondFactor.isEnrolled(userId))) return;
  if (code === undefined) throw new AppError("REAUTH_REQUIRED", REAUTH_MESSAGE);
  if (!(await ctx.secondFactor.verifyCode(userId, code))) {
    throw new AppError("VALIDATION_ERROR", "The code is incorrect.", {
      fields: [{ field: "code", message: "The code is incorrect." }],
    });
  }
}
