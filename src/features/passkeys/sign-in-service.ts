// Signing in with a passkey: passwordless with a discoverable credential, or as the second step of
// a password login. Either way the result is a full sign-in (WebAuthn with user verification is
// already two factors). Knows nothing about HTTP.
import type { AuthenticationResponseJSON, PublicKeyCredentialRequestOptionsJSON } from "@simplewebauthn/server";
import { AppError } from "../../errors";
import { buildSession, type IssuedSession } from "../../platform/sessions/service";
import { insertSession } from "../../platform/sessions/repo";
import type { ServiceContext } from "../../platform/service-context";
import { toUserProfile, type UserProfile } from "../../platform/user-profile";
import { buildAuditInsert, recordAuditEvent } from "../audit/service";
import { type CompletedSignIn, finishSignIn, signInMembership } from "../auth/sign-in-service";
import { buildMembershipTouch } from "../orgs/memberships-service";
import { claimPendingAttempt, consumePendingLogin, readPendingLogin } from "../../platform/mfa-pending";
import { retryStripeCustomerIfMissing } from "../billing/customer-service";
import { CHALLENGE_TTL_MS, type ChallengeOwner, issueChallenge, redeemChallenge } from "./challenges";
import { relyingPartyFrom, userHandleOf } from "./relying-party";
import * as repo from "./repo";
import { loadWebAuthn, loadWebAuthnHelpers } from "./webauthn";

/**
 * Passwordless: anyone may start, and the passkey names the account (a discoverable credential).
 * Second step: the pending password login names the user; only that user's passkeys answer.
 */
type PasskeySignInMode = { kind: "passwordless" } | { kind: "second-step"; userId: string };

function ownerOf(mode: PasskeySignInMode): ChallengeOwner {
  return mode.kind === "passwordless" ? { userId: null } : { userId: mode.userId };
}

const CHALLENGE_INVALID_MESSAGE = "This sign-in has expired or used all its attempts. Sign in again.";

/**
 * The options of a passkey sign-in: passwordless without a pending login, or for the user of the
 * pending password login the mfa_pending cookie names (read, not counted: asking costs no attempt).
 */
export async function startPasskeySignIn(
  ctx: ServiceContext,
  pendingToken: string | null,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  if (pendingToken === null) return passkeyOptions(ctx, { kind: "passwordless" });
  const pending = await readPendingLogin(ctx.db, pendingToken);
  if (!pending) throw new AppError("MFA_CHALLENGE_INVALID", CHALLENGE_INVALID_MESSAGE);
  return passkeyOptions(ctx, { kind: "second-step", userId: pending.userId });
}

async function passkeyOptions(
  ctx: ServiceContext,
  mode: PasskeySignInMode,
): Promise<PublicKeyCredentialRequestOptionsJSON> {
  const relyingParty = relyingPartyFrom(ctx.config);
  const [challenge, allowed] = await Promise.all([
    issueChallenge(ctx, "authentication", ownerOf(mode)),
    // Passwordless: an empty list, so the browser offers the passkeys it holds for this RP and
    // nothing tells a stranger which accounts exist. Second step: the user's own, as hints.
    mode.kind === "passwordless" ? [] : repo.listPasskeysOfUser(ctx.db, mode.userId),
  ]);
  const [{ generateAuthenticationOptions }, { isoBase64URL }] = await Promise.all([
    loadWebAuthn(),
    loadWebAuthnHelpers(),
  ]);
  return generateAuthenticationOptions({
    rpID: relyingParty.id,
    challenge: isoBase64URL.toBuffer(challenge),
    timeout: CHALLENGE_TTL_MS,
    userVerification: mode.kind === "passwordless" ? "required" : "preferred",
    allowCredentials: allowed.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
  });
}

/**
 * Completes a passkey sign-in. With a pending login (the mfa_pending cookie), an attempt is counted
 * against it first (a conditional UPDATE, SEC-67), the assertion must be by one of its user's
 * passkeys, and the pending login is consumed by compare-and-set before the session is issued by
 * the same finishSignIn as a TOTP code (so a suspension meanwhile still refuses). Without one, the
 * passkey alone signs in.
 */
export async function completePasskeySignIn(
  ctx: ServiceContext,
  pendingToken: string | null,
  response: AuthenticationResponseJSON,
): Promise<CompletedSignIn> {
  if (pendingToken === null) {
    return { ...(await finishPasskeySignIn(ctx, { kind: "passwordless" }, response)), deviceToken: null };
  }
  const pending = await claimPendingAttempt(ctx.db, pendingToken);
  if (!pending) throw new AppError("MFA_CHALLENGE_INVALID", CHALLENGE_INVALID_MESSAGE);
  await verifyPasskeyAssertion(ctx, { kind: "second-step", userId: pending.userId }, response);
  if (!(await consumePendingLogin(ctx.db, pending))) {
    // Another request completed this pending login first: it has the session.
    throw new AppError("MFA_CHALLENGE_INVALID", CHALLENGE_INVALID_MESSAGE);
  }
  return finishSignIn(ctx, pending.userId, { firstFactor: pending.firstFactor, secondFactor: "passkey" });
}

interface PasskeySignIn {
  user: UserProfile;
  session: IssuedSession;
}

/** Why an assertion was refused; audited, never told to the client (one PASSKEY_INVALID for all). */
type RefusalReason =
  | "challenge_invalid"
  | "unknown_passkey"
  | "other_users_passkey"
  | "user_handle_mismatch"
  | "assertion_invalid"
  | "counter_regressed";

const PASSKEY_INVALID_MESSAGE = "The passkey could not be verified. Try again.";

/**
 * Checks, in order: the challenge (consumed first, whatever follows: SEC-68), the credential and
 * its owner, then the assertion itself (origin, RP id, user presence, user verification when
 * passwordless, the signature), then the signature counter, which must move forward unless the
 * authenticator keeps none (0). Only then are suspension and verification revealed, exactly as
 * after a right password (SEC-8), and a session issued with a new token (SEC-16).
 */
async function finishPasskeySignIn(
  ctx: ServiceContext,
  mode: PasskeySignInMode,
  response: AuthenticationResponseJSON,
): Promise<PasskeySignIn> {
  const { passkey, user } = await verifyPasskeyAssertion(ctx, mode, response);
  const membership = signInMembership(user);
  if (membership instanceof AppError) throw membership;
  const { organizationId } = membership;

  const now = Date.now();
  const { issued, row } = await buildSession(
    { userId: user.id, organizationId },
    ctx.config.session.ttlSeconds,
    { userAgent: ctx.userAgent, ip: ctx.ip },
    now,
  );
  await ctx.db.batch([
    insertSession(ctx.db, row),
    buildMembershipTouch(ctx, user.id, organizationId, now),
    buildAuditInsert(ctx, {
      action: "login_succeeded",
      organizationId,
      actorUserId: user.id,
      target: passkey.id,
      ip: ctx.ip,
      details: { method: "passkey", step: mode.kind },
    }),
  ]);
  retryStripeCustomerIfMissing(ctx, organizationId);
  return { user: toUserProfile(membership), session: issued };
}

/** The checks of an assertion and the recorded use (the counter and last_used_at); refusals throw. */
async function verifyPasskeyAssertion(
  ctx: ServiceContext,
  mode: PasskeySignInMode,
  response: AuthenticationResponseJSON,
) {
  const challenge = await redeemChallenge(ctx, response.response.clientDataJSON, "authentication", ownerOf(mode));
  if (challenge === null) return refuse(ctx, "challenge_invalid", mode.kind === "second-step" ? mode.userId : null);

  const found = await repo.findPasskeyWithOwner(ctx.db, response.id);
  if (!found) return refuse(ctx, "unknown_passkey", mode.kind === "second-step" ? mode.userId : null);
  const { passkey, user } = found;
  const [{ verifyAuthenticationResponse }, { isoBase64URL }] = await Promise.all([
    loadWebAuthn(),
    loadWebAuthnHelpers(),
  ]);
  if (mode.kind === "second-step" && passkey.userId !== mode.userId) {
    return refuse(ctx, "other_users_passkey", mode.userId);
  }
  // A discoverable credential reports whose it is; it must be the account the credential is stored
  // under (WebAuthn §7.2 step 6), or a passkey of one account could be presented as another's.
  const userHandle = response.response.userHandle;
  if (userHandle && userHandle !== isoBase64URL.fromBuffer(userHandleOf(user.id))) {
    return refuse(ctx, "user_handle_mismatch", user.id, user.organizationId);
  }

  const relyingParty = relyingPartyFrom(ctx.config);
  const verification = await verifyAuthenticationResponse({
    response,
    expectedChallenge: challenge,
    expectedOrigin: relyingParty.origin,
    expectedRPID: relyingParty.id,
    requireUserVerification: mode.kind === "passwordless",
    // The counter rule is ours (below), so that a regression is told apart and audited: with 0
    // here the library accepts any counter and reports it as newCounter.
    credential: {
      id: passkey.credentialId,
      publicKey: isoBase64URL.toBuffer(passkey.publicKey),
      counter: 0,
      transports: passkey.transports,
    },
  }).catch(() => null);
  if (!verification?.verified) return refuse(ctx, "assertion_invalid", user.id, user.organizationId);

  const { newCounter } = verification.authenticationInfo;
  const now = Date.now();
  const recorded =
    !hasCounterRegressed(passkey.counter, newCounter) &&
    (await repo.buildPasskeyUseUpdate(ctx.db, passkey.id, { checkedCounter: passkey.counter, newCounter, now }))
      .length === 1;
  if (!recorded) {
    // A cloned authenticator (WebAuthn §6.1.1), or another assertion of this credential with a
    // higher counter recorded since it was read: either way this one does not pass.
    await recordAuditEvent(ctx, {
      action: "passkey_counter_regressed",
      organizationId: user.organizationId,
      actorUserId: user.id,
      target: passkey.id,
      ip: ctx.ip,
      details: { stored_counter: passkey.counter, presented_counter: newCounter },
    });
    return refuse(ctx, "counter_regressed", user.id, user.organizationId);
  }

  return { passkey, user };
}

/** WebAuthn §7.2 step 22: a counter that does not move forward, when either side is non-zero. */
function hasCounterRegressed(stored: number, presented: number): boolean {
  return (stored > 0 || presented > 0) && presented <= stored;
}

async function refuse(
  ctx: ServiceContext,
  reason: RefusalReason,
  userId: string | null,
  organizationId: string | null = null,
): Promise<never> {
  await recordAuditEvent(ctx, {
    action: "login_failed",
    organizationId,
    actorUserId: userId,
    ip: ctx.ip,
    details: { method: "passkey", reason },
  });
  throw new AppError("PASSKEY_INVALID", PASSKEY_INVALID_MESSAGE);
}
