// The end of every sign-in once its factors are proven: the refusals that only a proven first
// factor may see (SEC-8), the pending second step (SEC-67), and the session. Knows nothing about HTTP.
import type { BatchItem } from "drizzle-orm/batch";
import { AppError } from "../../errors";
import type { ServiceContext } from "../../platform/service-context";
import { toUserProfile, type UserProfile } from "../../platform/user-profile";
import { buildSession, type IssuedSession } from "../../platform/sessions/service";
import { insertSession } from "../../platform/sessions/repo";
import { buildPendingLogin, type FirstFactor, type IssuedPendingLogin } from "../../platform/mfa-pending";
import { buildAuditInsert } from "../audit/service";
import { retryStripeCustomerIfMissing } from "../billing/customer-service";
import { listSecondFactorMethods, type SecondFactorMethod } from "../mfa/service";
import { findSignInUserById } from "../users/service";
import { signDeviceToken } from "./device-token";
import { buildMembershipTouch } from "../orgs/memberships-service";
import type { AssignableRole } from "../../lib/roles";

/** A sign-in whose first factor is proven and whose account asks for a second one. */
export interface SecondFactorChallenge {
  pending: IssuedPendingLogin;
  methods: SecondFactorMethod[];
}

export interface CompletedSignIn {
  user: UserProfile;
  session: IssuedSession;
  /** A fresh device token for the device cookie; null when device cookies are off (no JWT_SECRET). */
  deviceToken: string | null;
}

/**
 * The membership a user who proved the first factor (password or passkey) signs in to (their most
 * recently active one in an organization that is not suspended), or why they still may not sign
 * in (SEC-8: only told after the proof).
 */
export function signInMembership<T extends { organizationId: string | null; membershipRole: AssignableRole | null }>(
  user: T & { emailVerifiedAt: unknown; suspendedAt: unknown; organizationSuspendedAt: unknown },
): AppError | (T & { organizationId: string; membershipRole: AssignableRole }) {
  if (user.emailVerifiedAt === null) {
    return new AppError("EMAIL_NOT_VERIFIED", "Verify your email address before signing in.");
  }
  if (user.suspendedAt !== null) return new AppError("ACCOUNT_SUSPENDED", "This account is suspended.");
  if (user.organizationId === null || user.membershipRole === null) {
    return new AppError("NO_ORGANIZATION", "This account no longer belongs to any organization.");
  }
  if (user.organizationSuspendedAt !== null) return new AppError("ORG_SUSPENDED", "This organization is suspended.");
  return { ...user, organizationId: user.organizationId, membershipRole: user.membershipRole };
}

/**
 * Opens the second step for a user whose first factor was just proven: a pending login (no
 * session, SEC-67) and the methods that can complete it, in one batch with `statements` (a hash
 * upgrade). Only reached after the first factor, so whether an account has a second factor is
 * never revealed to someone without it.
 */
export async function startSecondFactor(
  ctx: ServiceContext,
  user: { id: string; organizationId: string },
  firstFactor: FirstFactor,
  statements: BatchItem<"sqlite">[] = [],
): Promise<SecondFactorChallenge> {
  const [{ issued, insert }, methods] = await Promise.all([
    buildPendingLogin(ctx.db, { userId: user.id, firstFactor }),
    listSecondFactorMethods(ctx, user.id),
  ]);
  await ctx.db.batch([
    insert,
    ...statements,
    buildAuditInsert(ctx, {
      action: "mfa_challenge_started",
      organizationId: user.organizationId,
      actorUserId: user.id,
      ip: ctx.ip,
      details: { first_factor: firstFactor },
    }),
  ]);
  return { pending: issued, methods };
}

/**
 * Issues the session of a pending login whose second factor was just verified (and consumed). The
 * user is read again: a suspension during the five minutes of the second step still refuses.
 */
export async function finishSignIn(
  ctx: ServiceContext,
  userId: string,
  details: { firstFactor: FirstFactor; secondFactor: string },
): Promise<CompletedSignIn> {
  const found = await findSignInUserById(ctx, userId);
  if (!found) throw new AppError("MFA_CHALLENGE_INVALID", "Sign in again.");
  const user = signInMembership(found);
  if (user instanceof AppError) throw user;
  const now = Date.now();
  const { issued, row } = await buildSession(
    { userId: user.id, organizationId: user.organizationId },
    ctx.config.session.ttlSeconds,
    { userAgent: ctx.userAgent, ip: ctx.ip },
    now,
  );
  const [, deviceToken] = await Promise.all([
    ctx.db.batch([
      insertSession(ctx.db, row),
      buildMembershipTouch(ctx, user.id, user.organizationId, now),
      buildAuditInsert(ctx, {
        action: "login_succeeded",
        organizationId: user.organizationId,
        actorUserId: user.id,
        ip: ctx.ip,
        details: { first_factor: details.firstFactor, second_factor: details.secondFactor },
      }),
    ]),
    ctx.config.jwtSecret ? signDeviceToken(ctx.config.jwtSecret, user.id, now) : null,
  ]);
  retryStripeCustomerIfMissing(ctx, user.organizationId);
  return { user: toUserProfile(user), session: issued, deviceToken };
}
