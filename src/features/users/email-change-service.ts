// Email change (API.md "Account lifecycle", SEC-78): a fresh proof, then a link to the new
// address and a notice to the old one; the change itself happens only when the link is used.
import { isUniqueViolation } from "../../db/errors";
import { emailChangeConfirmationEmail, emailChangedEmail, emailChangeRequestedEmail } from "../../email/templates";
import { AppError } from "../../errors";
import { hashToken, isWellFormedToken } from "../../lib/crypto";
import { type FreshProofClaim, requireFreshProof } from "../../platform/fresh-proof";
import { consumeRecipientLimit, RECIPIENT_LIMITS } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert } from "../audit/service";
import { buildEmailTokenRedemption, findValidEmailToken, prepareEmailToken } from "../auth/email-token-service";
import { buildEmailChangeByToken, buildSessionsDeletionByOwner } from "./email-change-repo";
import { findUserByEmail, findUserById } from "./service";

const INVALID_EMAIL_CHANGE_TOKEN = "This link is invalid, used or expired. Ask for a new one.";

export interface EmailChangeRequest {
  userId: string;
  organizationId: string;
  /** The session's sign-in time, for the fresh proof. */
  authenticatedAt: number;
  /** Normalized by the schema (trimmed, lowercased). */
  newEmail: string;
  proof: FreshProofClaim;
}

/**
 * After a fresh proof (SEC-69), issues a 1-hour token bound to the user and the new address
 * (earlier change links stop working) and tells the old address. An address that already has an
 * account gets no link and the answer is the same 202, so the route does not tell a signed-in
 * caller which addresses are registered (as signup does not, SEC-29).
 */
export async function requestEmailChange(ctx: ServiceContext, input: EmailChangeRequest): Promise<void> {
  const user = await findUserById(ctx, input.userId);
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  await requireFreshProof(
    ctx,
    { userId: user.id, passwordHash: user.passwordHash, authenticatedAt: input.authenticatedAt },
    input.proof,
  );
  if (input.newEmail === user.email) {
    throw new AppError("VALIDATION_ERROR", "This is already your email address.", {
      fields: [{ field: "new_email", message: "This is already your email address." }],
    });
  }
  const change = await prepareEmailToken(ctx, user.id, "change_email", Date.now(), input.newEmail);
  await ctx.db.batch([
    ...change.statements,
    buildAuditInsert(ctx, {
      action: "email_change_requested",
      organizationId: input.organizationId,
      actorUserId: user.id,
      ip: ctx.ip,
    }),
  ]);
  const oldEmail = user.email;
  ctx.defer(async () => {
    await ctx.email.send(emailChangeRequestedEmail(oldEmail, ctx.config.webBaseURL));
    // A mailbox gets a bounded number of these however many accounts ask (SEC-56).
    if (!(await consumeRecipientLimit(ctx.env, RECIPIENT_LIMITS.emailChange, input.newEmail))) return;
    if (await findUserByEmail(ctx, input.newEmail)) return;
    await ctx.email.send(emailChangeConfirmationEmail(input.newEmail, ctx.config.webBaseURL, change.token));
  });
}

/**
 * Moves the account to the token's address, marks it verified, revokes every session and
 * consumes the token, in one batch where each effect is conditional on the token still being
 * valid and the consume (compare-and-set) comes last: of two concurrent uses only one changes
 * anything (SEC-27, SEC-78). The address taken meanwhile is 409 with nothing changed, the token
 * included (it stays valid until it expires, and keeps answering 409). OAuth links are keyed by
 * the provider's subject, not by email (SEC-40), so a Google-linked account keeps its link.
 */
export async function confirmEmailChange(ctx: ServiceContext, token: string): Promise<void> {
  if (!isWellFormedToken(token)) throw new AppError("INVALID_TOKEN", INVALID_EMAIL_CHANGE_TOKEN);
  const tokenHash = await hashToken(token);
  const now = Date.now();
  const pending = await findValidEmailToken(ctx, tokenHash, "change_email", now);
  if (!pending?.newEmail) throw new AppError("INVALID_TOKEN", INVALID_EMAIL_CHANGE_TOKEN);
  const user = await findUserById(ctx, pending.userId);
  if (!user) throw new AppError("INVALID_TOKEN", INVALID_EMAIL_CHANGE_TOKEN);
  if (await findUserByEmail(ctx, pending.newEmail)) throw addressTaken();

  if (!(await applyEmailChange(ctx, tokenHash, now))) throw new AppError("INVALID_TOKEN", INVALID_EMAIL_CHANGE_TOKEN);

  await buildAuditInsert(ctx, {
    action: "email_changed",
    organizationId: user.organizationId,
    actorUserId: user.id,
    ip: ctx.ip,
  });
  ctx.defer(() => ctx.email.send(emailChangedEmail(user.email, ctx.config.webBaseURL)));
}

/** Whether this call consumed the token (and so made the change). */
async function applyEmailChange(ctx: ServiceContext, tokenHash: string, now: number): Promise<boolean> {
  const { owner, newEmail, consume } = buildEmailTokenRedemption(ctx, tokenHash, "change_email", now);
  try {
    const results = await ctx.db.batch([
      buildEmailChangeByToken(ctx.db, owner, newEmail, now),
      buildSessionsDeletionByOwner(ctx.db, owner),
      consume,
    ]);
    return results[2].length > 0;
  } catch (error) {
    // Taken between the read and this batch: the batch rolled back as a whole.
    if (isUniqueViolation(error)) throw addressTaken();
    throw error;
  }
}

function addressTaken(): AppError {
  return new AppError("CONFLICT", "This email address now belongs to another account.");
}
