// The sys_admin reset of a user's second factors (POST /users/{id}/mfa/reset): for someone who
// lost both their authenticator and their recovery codes. Knows nothing about HTTP.
import { AppError } from "../../errors";
import type { Actor } from "../../platform/actor";
import { buildDeleteUserPendingLogins } from "../../platform/mfa-pending";
import type { ServiceContext } from "../../platform/service-context";
import { deleteUserSessions } from "../../platform/sessions/repo";
import { buildAuditInsert } from "../audit/service";
import { buildDeleteAllPasskeys } from "../passkeys/service";
import { findUserById } from "../users/service";
import * as repo from "./repo";

/** The statements that remove every second factor of the user: TOTP, recovery codes, passkeys. */
function buildSecondFactorRemovals(ctx: ServiceContext, userId: string) {
  return [
    repo.buildDeleteTotpCredential(ctx.db, userId),
    repo.buildDeleteRecoveryCodes(ctx.db, userId),
    buildDeleteAllPasskeys(ctx, userId),
  ] as const;
}

/**
 * Removes TOTP, recovery codes, passkeys and pending logins, and ends every session of the user, in one
 * batch with its audit row: whoever held a session or a half-finished sign-in must start over with
 * the password alone, and then enrol again (the organization's require_mfa still applies).
 */
export async function resetSecondFactors(ctx: ServiceContext, actor: Actor, userId: string): Promise<void> {
  const user = await findUserById(ctx, userId);
  if (!user) throw new AppError("NOT_FOUND", "No such user.");
  await ctx.db.batch([
    ...buildSecondFactorRemovals(ctx, user.id),
    buildDeleteUserPendingLogins(ctx.db, user.id),
    deleteUserSessions(ctx.db, user.id),
    buildAuditInsert(ctx, {
      action: "mfa_reset",
      organizationId: user.organizationId,
      actorUserId: actor.userId,
      target: user.id,
      ip: ctx.ip,
    }),
  ]);
}
