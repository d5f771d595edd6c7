// The second step of a sign-in (POST /auth/mfa/verify): a TOTP or recovery code completes the
// pending login its cookie names (SEC-67). Knows nothing about HTTP.
import { AppError } from "../../errors";
import { claimPendingAttempt, consumePendingLogin } from "../../platform/mfa-pending";
import { type RateLimitPolicy, consumeRateLimit } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";
import { recordAuditEvent } from "../audit/service";
import { type CompletedSignIn, finishSignIn } from "../auth/sign-in-service";
import { findSignInUserById } from "../users/service";
import { INVALID_CODE_MESSAGE, type SecondFactorSubmission, consumeSecondFactor } from "./service";

/**
 * Guesses per account, whatever the number of pending logins: each pending login costs a correct
 * password (and its Argon2 verify), and this bounds what someone who has the password can try
 * against the second factor: 10 per 15 minutes is 3 chances in 10^5 for a 6-digit code with ±1
 * step. The account's owner, who has the factor, needs one or two.
 */
const ACCOUNT_POLICY: RateLimitPolicy = { name: "mfa-verify-account", limit: 10, windowSeconds: 15 * 60 };

const CHALLENGE_INVALID_MESSAGE = "This sign-in has expired or used all its attempts. Sign in again.";

/**
 * Counts the attempt against the pending login first (a conditional UPDATE, so concurrent guesses
 * cannot exceed 5), then against the account, then checks and consumes the factor, then consumes
 * the pending login; the session is issued only when all of that held. Every outcome is audited.
 */
export async function completePendingLogin(
  ctx: ServiceContext,
  pendingToken: string | null,
  submission: SecondFactorSubmission,
): Promise<CompletedSignIn> {
  const pending = pendingToken ? await claimPendingAttempt(ctx.db, pendingToken) : null;
  if (!pending) {
    await recordVerifyFailure(ctx, null, "challenge_invalid", submission.kind);
    throw new AppError("MFA_CHALLENGE_INVALID", CHALLENGE_INVALID_MESSAGE);
  }
  await consumeRateLimit(ctx.env, `${ACCOUNT_POLICY.name}:${pending.userId}`, ACCOUNT_POLICY);
  if (!(await consumeSecondFactor(ctx, pending.userId, submission))) {
    await recordVerifyFailure(ctx, pending.userId, "wrong_code", submission.kind);
    throw new AppError("MFA_CODE_INVALID", INVALID_CODE_MESSAGE, { attempts_left: pending.attemptsLeft });
  }
  if (!(await consumePendingLogin(ctx.db, pending))) {
    // Another request completed this pending login first: it has the session.
    await recordVerifyFailure(ctx, pending.userId, "challenge_used", submission.kind);
    throw new AppError("MFA_CHALLENGE_INVALID", CHALLENGE_INVALID_MESSAGE);
  }
  return finishSignIn(ctx, pending.userId, { firstFactor: pending.firstFactor, secondFactor: submission.kind });
}

async function recordVerifyFailure(
  ctx: ServiceContext,
  userId: string | null,
  reason: "challenge_invalid" | "wrong_code" | "challenge_used",
  method: SecondFactorSubmission["kind"],
): Promise<void> {
  const user = userId ? await findSignInUserById(ctx, userId) : undefined;
  await recordAuditEvent(ctx, {
    action: "mfa_verify_failed",
    organizationId: user?.organizationId ?? null,
    actorUserId: userId,
    ip: ctx.ip,
    details: { reason, method },
  });
}
