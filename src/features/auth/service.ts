// Account rules: signup, login, logout and email verification. Knows nothing about HTTP.
import { AppError } from "../../errors";
import { isUniqueViolation } from "../../db/errors";
import { hashPassword, needsRehash, verifyAgainstDummyHash, verifyPassword } from "../../lib/password";
import { hashToken, isWellFormedToken } from "../../lib/crypto";
import { checkLoginBackoff, clearLoginFailures, recordLoginFailure } from "../../platform/rate-limit";
import { alreadyRegisteredEmail, verificationEmail } from "../../email/templates";
import type { ServiceContext } from "../../platform/service-context";
import { toUserProfile, type UserProfile } from "../../platform/user-profile";
import {
  type AuditEvent,
  buildAuditInsert,
  buildAuditInsertIfChanged,
  logAuditEvent,
  recordAuditEvent,
} from "../audit/service";
import { buildSession, listSessions, type IssuedSession } from "../../platform/sessions/service";
import { deleteSessionById, insertSession } from "../../platform/sessions/repo";
import { buildEmailTokenRedemption, prepareEmailToken } from "./email-token-service";
import { onOrganizationCreated, retryStripeCustomerIfMissing } from "../billing/customer-service";
import {
  buildOrganizationInsert,
  buildPasswordHashUpdate,
  buildMarkEmailVerified,
  buildUserInsert,
  findUserByEmail,
  findUserById,
} from "../users/service";

export interface SignupInput {
  email: string;
  password: string;
  firstName: string | null;
  lastName: string | null;
  /** A named organization (signup-org); otherwise a personal one is named after the user. */
  organizationName: string | null;
}

/**
 * Creates the organization, its first org_admin and a verification token in one batch, then
 * emails the link. An existing address gets a "you already have an account" email instead, and
 * the caller cannot tell the two apart: same response, same work (the hash runs either way).
 */
export async function signUp(ctx: ServiceContext, input: SignupInput): Promise<void> {
  const passwordHash = await hashPassword(input.password, ctx.config.argon2, {
    maxConcurrent: ctx.config.argon2.maxConcurrent,
  });
  const existing = await findUserByEmail(ctx, input.email);
  if (existing) {
    sendAlreadyRegistered(ctx, input.email);
    return;
  }

  const now = Date.now();
  const organizationId = crypto.randomUUID();
  const userId = crypto.randomUUID();
  const verification = await prepareEmailToken(ctx, userId, "verify_email", now);
  try {
    await ctx.db.batch([
      buildOrganizationInsert(ctx, {
        id: organizationId,
        name: input.organizationName ?? personalOrganizationName(input),
        createdAt: now,
      }),
      buildUserInsert(ctx, {
        id: userId,
        organizationId,
        email: input.email,
        passwordHash,
        firstName: input.firstName,
        lastName: input.lastName,
        role: "org_admin",
        emailVerifiedAt: null,
        createdAt: now,
        updatedAt: now,
      }),
      ...verification.statements,
      buildAuditInsert(ctx, {
        action: "signup",
        organizationId,
        actorUserId: userId,
        ip: ctx.ip,
      }),
    ]);
  } catch (error) {
    // Two signups for one address raced and the other won the UNIQUE(email): same answer as above.
    if (isUniqueViolation(error)) {
      sendAlreadyRegistered(ctx, input.email);
      return;
    }
    throw error;
  }
  ctx.defer(() => ctx.email.send(verificationEmail(input.email, ctx.config.webBaseURL, verification.token)));
  onOrganizationCreated(ctx, organizationId);
}

function sendAlreadyRegistered(ctx: ServiceContext, email: string): void {
  ctx.defer(() => ctx.email.send(alreadyRegisteredEmail(email, ctx.config.webBaseURL)));
}

function personalOrganizationName(input: SignupInput): string {
  const name = [input.firstName, input.lastName].filter(Boolean).join(" ");
  return name ? `${name}'s organization` : `${input.email}'s organization`;
}

export interface LoginResult {
  user: UserProfile;
  session: IssuedSession;
}

const INVALID_CREDENTIALS_MESSAGE = "The email or password is incorrect.";

/**
 * Unknown email, password-less account and wrong password take the same path: one Argon2id
 * verify, one failure recorded, one identical 401 (SEC-5, SEC-6). Verification and suspension
 * are only revealed to someone who proved the password (SEC-8).
 */
export async function logIn(ctx: ServiceContext, input: { email: string; password: string }): Promise<LoginResult> {
  await checkLoginBackoff(ctx.env, input.email);
  const argon2 = { maxConcurrent: ctx.config.argon2.maxConcurrent };
  const user = await findUserByEmail(ctx, input.email);

  const isPasswordCorrect = await checkPassword(ctx, user?.passwordHash ?? null, input.password);

  if (!user || !isPasswordCorrect) {
    await recordLoginFailure(ctx.env, input.email);
    await recordAuditEvent(ctx, {
      action: "login_failed",
      organizationId: user?.organizationId ?? null,
      actorUserId: user?.id ?? null,
      ip: ctx.ip,
      details: { reason: user ? "wrong_password" : "unknown_email" },
    });
    throw new AppError("INVALID_CREDENTIALS", INVALID_CREDENTIALS_MESSAGE);
  }
  await clearLoginFailures(ctx.env, input.email);

  if (user.emailVerifiedAt === null) {
    throw new AppError("EMAIL_NOT_VERIFIED", "Verify your email address before signing in.");
  }
  if (user.suspendedAt !== null) {
    throw new AppError("ACCOUNT_SUSPENDED", "This account is suspended.");
  }
  if (user.organizationSuspendedAt !== null) {
    throw new AppError("ORG_SUSPENDED", "This organization is suspended.");
  }

  const now = Date.now();
  const { issued, row } = await buildSession(
    user.id,
    ctx.config.session.ttlSeconds,
    { userAgent: ctx.userAgent, ip: ctx.ip },
    now,
  );
  const audit = buildAuditInsert(ctx, {
    action: "login_succeeded",
    organizationId: user.organizationId,
    actorUserId: user.id,
    ip: ctx.ip,
  });
  // Hashes below the configured parameters are upgraded while the password is at hand (SEC-1).
  if (user.passwordHash && needsRehash(user.passwordHash, ctx.config.argon2)) {
    const upgraded = await hashPassword(input.password, ctx.config.argon2, argon2);
    await ctx.db.batch([insertSession(ctx.db, row), buildPasswordHashUpdate(ctx, user.id, upgraded, now), audit]);
  } else {
    await ctx.db.batch([insertSession(ctx.db, row), audit]);
  }
  retryStripeCustomerIfMissing(ctx, user.organizationId);
  return {
    user: toUserProfile(user),
    session: issued,
  };
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
 * unverified account gets a new link, which invalidates the earlier ones (SEC-28).
 */
export function resendVerification(ctx: ServiceContext, email: string): void {
  ctx.defer(async () => {
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
