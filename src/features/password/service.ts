// Password rules: forgot (always 202), reset with a single-use token, update with the current one.
import { AppError } from "../../errors";
import { hashToken, isWellFormedToken } from "../../lib/crypto";
import { hashPassword } from "../../lib/password";
import { RECIPIENT_LIMITS, consumeRecipientLimit } from "../../platform/rate-limit";
import { requireFreshProof } from "../../platform/fresh-proof";
import { liftLoginBackoff } from "../../middleware/login-backoff";
import { rejectBreachedPassword } from "../../platform/breached-passwords";
import { signDeviceToken } from "../auth/device-token";
import { passwordChangedEmail, passwordResetEmail } from "../../email/templates";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert } from "../audit/service";
import { buildEmailTokenRedemption, isValidEmailToken, prepareEmailToken } from "../auth/email-token-service";
import { deleteUserSessions } from "../../platform/sessions/repo";
import { INVALID_TOKEN_MESSAGE } from "../auth/service";
import { buildMarkEmailVerified, buildPasswordHashUpdate, findUserByEmail, findUserById } from "../users/service";
import { buildPasswordResetByToken, buildSessionsDeletionByToken } from "./repo";

/**
 * The same 202 for every address; lookup, token and email happen after the response (SEC-29).
 * A new reset token invalidates the earlier ones (SEC-28). Each address gets a bounded number of
 * reset emails however many IPs ask (SEC-56); over that, nothing is issued or sent.
 */
export function requestPasswordReset(ctx: ServiceContext, email: string): void {
  ctx.defer(async () => {
    if (!(await consumeRecipientLimit(ctx.env, RECIPIENT_LIMITS.passwordReset, email))) return;
    const user = await findUserByEmail(ctx, email);
    if (!user || user.suspendedAt !== null) return;
    const reset = await prepareEmailToken(ctx, user.id, "reset_password");
    await ctx.db.batch([
      ...reset.statements,
      buildAuditInsert(ctx, {
        action: "password_reset_requested",
        organizationId: user.organizationId,
        actorUserId: user.id,
        ip: ctx.ip,
      }),
    ]);
    await ctx.email.send(passwordResetEmail(email, ctx.config.webBaseURL, reset.token));
  });
}

/**
 * Sets the new password, revokes every session and consumes the token in one batch (SEC-23,
 * SEC-27). Each effect is conditional on the token still being valid and runs before the
 * consume, so of parallel submissions only the one whose consume returns a row changed anything.
 * The reset proves control of the mailbox, so an unverified email becomes verified, the login
 * back-off on the account is lifted, and this browser gets a device token (SEC-55): if strangers
 * keep guessing, the owner's next sign-in from here is not held back by them.
 */
export async function resetPassword(
  ctx: ServiceContext,
  input: { token: string; newPassword: string },
): Promise<{ deviceToken: string | null }> {
  if (!isWellFormedToken(input.token)) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  const tokenHash = await hashToken(input.token);
  // Cheap check first, so an unknown token costs no Argon2 work.
  if (!(await isValidEmailToken(ctx, tokenHash, "reset_password", Date.now()))) {
    throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  }
  await rejectBreachedPassword(ctx, input.newPassword, "new_password");
  const passwordHash = await hashPassword(input.newPassword, ctx.config.argon2, {
    maxConcurrent: ctx.config.argon2.maxConcurrent,
  });
  const now = Date.now();
  const { owner, consume } = buildEmailTokenRedemption(ctx, tokenHash, "reset_password", now);
  const results = await ctx.db.batch([
    buildPasswordResetByToken(ctx.db, owner, passwordHash, now),
    buildMarkEmailVerified(ctx, owner, now, { onlyIfUnverified: true }),
    buildSessionsDeletionByToken(ctx.db, owner),
    consume,
  ]);
  const userId = results[3][0]?.userId;
  if (!userId) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);

  const user = await findUserById(ctx, userId);
  if (!user) return { deviceToken: null };
  // Whoever was guessing, the owner now holds a password nobody has tried (SEC-55).
  await liftLoginBackoff(ctx.env, user.email);
  await buildAuditInsert(ctx, {
    action: "password_reset",
    organizationId: user.organizationId,
    actorUserId: user.id,
    ip: ctx.ip,
  });
  ctx.defer(() => ctx.email.send(passwordChangedEmail(user.email, ctx.config.webBaseURL)));
  return { deviceToken: ctx.config.jwtSecret ? await signDeviceToken(ctx.config.jwtSecret, user.id) : null };
}

/**
 * Needs a fresh proof with the current password (SEC-69); on success stores the new hash and revokes every other session,
 * keeping the caller's (SEC-22). A wrong current password changes nothing.
 */
export async function updatePassword(
  ctx: ServiceContext,
  input: {
    userId: string;
    organizationId: string;
    sessionId: string;
    authenticatedAt: number;
    currentPassword: string;
    code?: string | undefined;
    newPassword: string;
  },
): Promise<void> {
  const user = await findUserById(ctx, input.userId);
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  if (!user.passwordHash) {
    throw new AppError(
      "CONFLICT",
      "This account signs in with Google and has no password. Use “Forgot password” to set one.",
    );
  }
  // Always the password path of the fresh proof (current_password is required here): a recent
  // sign-in alone does not change the password. Guesses share one per-account budget (SEC-13).
  await requireFreshProof(
    ctx,
    { userId: user.id, passwordHash: user.passwordHash, authenticatedAt: input.authenticatedAt },
    { currentPassword: input.currentPassword, code: input.code },
  );
  const argon2 = { maxConcurrent: ctx.config.argon2.maxConcurrent };
  await rejectBreachedPassword(ctx, input.newPassword, "new_password");
  const passwordHash = await hashPassword(input.newPassword, ctx.config.argon2, argon2);
  const now = Date.now();
  await ctx.db.batch([
    buildPasswordHashUpdate(ctx, user.id, passwordHash, now),
    deleteUserSessions(ctx.db, user.id, { exceptSessionId: input.sessionId }),
    buildAuditInsert(ctx, {
      action: "password_changed",
      organizationId: input.organizationId,
      actorUserId: user.id,
      ip: ctx.ip,
    }),
  ]);
  ctx.defer(() => ctx.email.send(passwordChangedEmail(user.email, ctx.config.webBaseURL)));
}
