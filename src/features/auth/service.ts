// Account rules: login, logout and email verification (signup: signup-service.ts). Knows nothing about HTTP.
import { AppError } from "../../errors";
import { hashPassword, needsRehash, verifyAgainstDummyHash, verifyPassword } from "../../lib/password";
import { hashToken, isWellFormedToken } from "../../lib/crypto";
import { RECIPIENT_LIMITS, consumeRecipientLimit } from "../../platform/rate-limit";
import {
  type AdmittedLoginAttempt,
  type LoginAttempt,
  admitLoginAttempt,
  recordLoginFailure,
  recordLoginSuccess,
} from "../../middleware/login-backoff";
import { signDeviceToken, verifyDeviceToken } from "./device-token";
import {
  type CompletedSignIn,
  type SecondFactorChallenge,
  signInMembership,
  startSecondFactor,
} from "./sign-in-service";
import { verificationEmail } from "../../email/templates";
import type { ServiceContext } from "../../platform/service-context";
import { toUserProfile } from "../../platform/user-profile";
import {
  type AuditEvent,
  buildAuditInsert,
  buildAuditInsertIfChanged,
  logAuditEvent,
  recordAuditEvent,
} from "../audit/service";
import { buildSession, listSessions } from "../../platform/sessions/service";
import { deleteSessionById, insertSession } from "../../platform/sessions/repo";
import { buildEmailTokenRedemption, prepareEmailToken } from "./email-token-service";
import { retryStripeCustomerIfMissing } from "../billing/customer-service";
import { buildPasswordHashUpdate, buildMarkEmailVerified, findUserByEmail, findUserById } from "../users/service";
import { buildMembershipTouch } from "../orgs/memberships-service";

export interface LoginInput {
  email: string;
  password: string;
  /** The device cookie the browser sent, if any (SEC-55). */
  deviceToken: string | null;
  /**
   * The route's per-IP count (SEC-9, SEC-11), still in flight: rejects with RateLimitedError when
   * this client is over its limit. Awaited before the back-off, the hash and every write.
   */
  clientLimit: Promise<void>;
}

/** Signed in, or (an account with a second factor) the password is proven and the second step opens. */
export type LoginResult =
  | ({ kind: "signed_in" } & CompletedSignIn)
  | ({ kind: "second_factor_required" } & SecondFactorChallenge);

const INVALID_CREDENTIALS_MESSAGE = "The email or password is incorrect.";

/**
 * Unknown email, password-less account and wrong password take the same path: one device-token
 * check, one Argon2id verify, one failure recorded, one identical 401 (SEC-5, SEC-6). Verification
 * and suspension are only revealed to someone who proved the password (SEC-8). The back-off
 * (SEC-12, SEC-55) counts this attempt against this client, and against the account as a whole
 * unless the browser holds a device cookie of this account from an earlier sign-in. An account
 * with a second factor gets no session here but a pending login (SEC-67), after the same work.
 */
export async function logIn(ctx: ServiceContext, input: LoginInput): Promise<LoginResult> {
  const argon2 = { maxConcurrent: ctx.config.argon2.maxConcurrent };
  const { user, admitted, isPasswordCorrect } = await admitAndCheckPassword(ctx, input);

  if (!user || !isPasswordCorrect) {
    // Independent writes (Durable Object and D1), both awaited on every failing case (SEC-6).
    await Promise.all([
      recordLoginFailure(ctx.env, admitted),
      recordAuditEvent(ctx, {
        action: "login_failed",
        organizationId: user?.organizationId ?? null,
        actorUserId: user?.id ?? null,
        ip: ctx.ip,
        details: { reason: user ? "wrong_password" : "unknown_email" },
      }),
    ]);
    throw new AppError("INVALID_CREDENTIALS", INVALID_CREDENTIALS_MESSAGE);
  }
  // The right password forgives this attempt (SEC-55). The reset runs beside the session writes
  // rather than before them, but is still awaited: the next attempt of this client must find the
  // back-off already cleared, and a limiter failure still fails the sign-in closed (a session row
  // written meanwhile is never handed out and expires unused).
  const forgiveAttempt = recordLoginSuccess(ctx.env, admitted);
  const membership = signInMembership(user);
  if (membership instanceof AppError) {
    await forgiveAttempt;
    throw membership;
  }
  const { organizationId } = membership;
  if (user.hasSecondFactor) {
    // The answer the user row already carried (no read of its own, SEC-6): no session yet (SEC-67).
    // The hash is upgraded here too, the only moment this account's password is at hand (SEC-1).
    const passwordHash = user.passwordHash;
    const challenge = (
      passwordHash && needsRehash(passwordHash, ctx.config.argon2)
        ? hashPassword(input.password, ctx.config.argon2, argon2)
        : Promise.resolve(null)
    ).then((upgraded) =>
      startSecondFactor(
        ctx,
        membership,
        "password",
        upgraded ? [buildPasswordHashUpdate(ctx, user.id, upgraded, Date.now())] : [],
      ),
    );
    const [, started] = await Promise.all([forgiveAttempt, challenge]);
    return { kind: "second_factor_required", ...started };
  }

  const now = Date.now();
  const { issued, row } = await buildSession(
    { userId: user.id, organizationId },
    ctx.config.session.ttlSeconds,
    { userAgent: ctx.userAgent, ip: ctx.ip },
    now,
  );
  const audit = buildAuditInsert(ctx, {
    action: "login_succeeded",
    organizationId,
    actorUserId: user.id,
    ip: ctx.ip,
  });
  // Hashes below the configured parameters are upgraded while the password is at hand (SEC-1).
  const writes =
    user.passwordHash && needsRehash(user.passwordHash, ctx.config.argon2)
      ? hashPassword(input.password, ctx.config.argon2, argon2).then((upgraded) =>
          ctx.db.batch([
            insertSession(ctx.db, row),
            buildMembershipTouch(ctx, user.id, organizationId, now),
            buildPasswordHashUpdate(ctx, user.id, upgraded, now),
            audit,
          ]),
        )
      : ctx.db.batch([insertSession(ctx.db, row), buildMembershipTouch(ctx, user.id, organizationId, now), audit]);
  const [, , deviceToken] = await Promise.all([
    forgiveAttempt,
    writes,
    ctx.config.jwtSecret ? signDeviceToken(ctx.config.jwtSecret, user.id, now) : null,
  ]);
  retryStripeCustomerIfMissing(ctx, organizationId);
  return { kind: "signed_in", user: toUserProfile(membership), session: issued, deviceToken };
}

/**
 * The three round trips before the verdict, in two steps (issue 18, docs/decisions/perf.md):
 *
 * 1. The user lookup, a read that changes nothing, runs beside the route's per-IP count. Nothing
 *    else starts before that count admits the request, so only requests within the per-IP limit
 *    reach the account's back-off or the hash (SEC-9: the limit is checked before hashing; SEC-11:
 *    of 20 parallel logins from one IP exactly 5 are processed, which two limiters deciding side by
 *    side could not promise).
 * 2. The back-off admission runs beside the hash. The admission counts and decides exactly as
 *    before; the password's verdict is only read once it admitted the attempt, so a refused attempt
 *    learns nothing and records nothing, and its 429 comes after the hash whatever the password
 *    (the hash's time does not depend on it). What it costs: a refused attempt spends one hash,
 *    which the per-IP limit already bounds (five per IP per 15 minutes, the same hashing an
 *    attacker gets by aiming at accounts that are not backed off).
 *
 * With a device cookie, the token is checked against the row's user id before the admission (a
 * device cookie of another account is an IP client, SEC-55). Every outcome awaits the same steps
 * (SEC-6).
 */
async function admitAndCheckPassword(
  ctx: ServiceContext,
  input: LoginInput,
): Promise<{
  user: Awaited<ReturnType<typeof findUserByEmail>>;
  admitted: AdmittedLoginAttempt;
  isPasswordCorrect: boolean;
}> {
  const [user] = await Promise.all([findUserByEmail(ctx, input.email), input.clientLimit]);
  const attempt = await identifyLoginClient(ctx, input, user?.id ?? null);
  const [admission, verdict] = await Promise.allSettled([
    admitLoginAttempt(ctx.env, attempt),
    checkPassword(ctx, user?.passwordHash ?? null, input.password),
  ]);
  if (admission.status === "rejected") throw admission.reason;
  if (verdict.status === "rejected") throw verdict.reason;
  return { user, admitted: admission.value, isPasswordCorrect: verdict.value };
}

/** The back-off's client: this account's device, if the cookie proves one, else the IP (SEC-55). */
async function identifyLoginClient(
  ctx: ServiceContext,
  input: LoginInput,
  userId: string | null,
): Promise<LoginAttempt> {
  const ipAttempt: LoginAttempt = { normalizedEmail: input.email, client: { kind: "ip", ip: ctx.ip } };
  if (!input.deviceToken || !ctx.config.jwtSecret) return ipAttempt;
  const deviceId = await verifyDeviceToken(ctx.config.jwtSecret, input.deviceToken, userId);
  return deviceId ? { normalizedEmail: input.email, client: { kind: "device", deviceId } } : ipAttempt;
}

/** One Argon2id verify whether or not there is a hash to verify against (SEC-6). */
async function checkPassword(ctx: ServiceContext, passwordHash: string | null, password: string): Promise<boolean> {
  const options = { maxConcurrent: ctx.config.argon2.maxConcurrent };
  if (passwordHash === null) {
    await verifyAgainstDummyHash(password, ctx.config.argon2, options);
    return false;
  }
  return verifyPassword(passwordHash, password, options);
}

export const INVALID_TOKEN_MESSAGE = "This link is invalid or has expired.";

/** Marks the email verified and consumes the token in one batch; a token works once (SEC-27). */
export async function verifyEmail(ctx: ServiceContext, token: string): Promise<void> {
  if (!isWellFormedToken(token)) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  const tokenHash = await hashToken(token);
  const now = Date.now();
  const { owner, consume } = buildEmailTokenRedemption(ctx, tokenHash, "verify_email", now);
  // The effect is conditional on the token still being valid, and runs before the consume in
  // the same transaction: only the batch whose consume returns a row changed anything.
  const [, consumed] = await ctx.db.batch([buildMarkEmailVerified(ctx, owner, now), consume]);
  const userId = consumed[0]?.userId;
  if (!userId) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  const user = await findUserById(ctx, userId);
  await recordAuditEvent(ctx, {
    action: "email_verified",
    organizationId: user?.organizationId ?? null,
    actorUserId: userId,
    ip: ctx.ip,
  });
}

/**
 * Always the same answer; the lookup and the email happen after the response (SEC-29). Only an
 * unverified account gets a new link, which invalidates the earlier ones (SEC-28), and at most a
 * bounded number per address however many IPs ask (SEC-56).
 */
export function resendVerification(ctx: ServiceContext, email: string): void {
  ctx.defer(async () => {
    if (!(await consumeRecipientLimit(ctx.env, RECIPIENT_LIMITS.verification, email))) return;
    const user = await findUserByEmail(ctx, email);
    if (!user || user.emailVerifiedAt !== null) return;
    const verification = await prepareEmailToken(ctx, user.id, "verify_email");
    await ctx.db.batch([...verification.statements]);
    await ctx.email.send(verificationEmail(email, ctx.config.webBaseURL, verification.token));
  });
}

export interface SessionOwner {
  sessionId: string;
  userId: string;
  organizationId: string;
}

/** Deletes the session row, so the token is rejected at once (SEC-18). */
export async function logOut(ctx: ServiceContext, owner: SessionOwner): Promise<void> {
  await ctx.db.batch([
    deleteSessionById(ctx.db, owner.userId, owner.sessionId),
    buildAuditInsert(ctx, {
      action: "logout",
      organizationId: owner.organizationId,
      actorUserId: owner.userId,
      ip: ctx.ip,
    }),
  ]);
}

/** The caller's active sessions, oldest first. */
export function listMySessions(ctx: ServiceContext, userId: string) {
  return listSessions(ctx.db, userId);
}

/**
 * Revokes one of the caller's own sessions; another user's id is "not found" like a missing one.
 * The audit row is written in the same batch, after the delete and only if it removed a row
 * (buildAuditInsertIfChanged), so a revocation is never recorded without having happened, nor
 * the other way round.
 */
export async function revokeMySession(
  ctx: ServiceContext,
  owner: { userId: string; organizationId: string },
  sessionId: string,
): Promise<void> {
  const event: AuditEvent = {
    action: "session_revoked",
    organizationId: owner.organizationId,
    actorUserId: owner.userId,
    target: sessionId,
    ip: ctx.ip,
  };
  const [deleted] = await ctx.db.batch([
    deleteSessionById(ctx.db, owner.userId, sessionId),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (deleted.length === 0) throw new AppError("NOT_FOUND", "No such session.");
  logAuditEvent(event);
}
