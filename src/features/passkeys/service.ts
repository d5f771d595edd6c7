// Passkey management for a signed-in user: registration, listing, renaming, deletion; and what
// other features need to know (count, delete all). Sign-in is in sign-in-service.ts. No HTTP here.
import type { PublicKeyCredentialCreationOptionsJSON, RegistrationResponseJSON } from "@simplewebauthn/server";
import { AppError } from "../../errors";
import { isUniqueViolation } from "../../db/errors";
import { type FreshProofClaim, requireFreshProof } from "../../platform/fresh-proof";
import type { ServiceContext } from "../../platform/service-context";
import type { UserProfile } from "../../platform/user-profile";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { findUserById } from "../users/service";
import { CHALLENGE_TTL_MS, issueChallenge, redeemChallenge } from "./challenges";
import { relyingPartyFrom, userHandleOf } from "./relying-party";
import * as repo from "./repo";
import { loadWebAuthn, loadWebAuthnHelpers } from "./webauthn";
import type { PasskeyRow } from "./repo";

export type { PasskeyRow };

/** Enough for a phone, a laptop and a few security keys; bounds the rows one account can add. */
const MAX_PASSKEYS_PER_USER = 10;

/**
 * The authenticators we ask for: a discoverable credential (so it can sign in without an email
 * typed first) with user verification (so the passkey alone is two factors: possession and the
 * PIN or biometric that unlocked it). ES256 and EdDSA only: RS256 keys are large and rare on
 * passkeys, and every platform authenticator supports ES256.
 */
const SUPPORTED_ALGORITHMS = [-8, -7];

export async function startPasskeyRegistration(
  ctx: ServiceContext,
  user: UserProfile,
): Promise<PublicKeyCredentialCreationOptionsJSON> {
  const relyingParty = relyingPartyFrom(ctx.config);
  const [existing, challenge] = await Promise.all([
    repo.listPasskeysOfUser(ctx.db, user.id),
    issueChallenge(ctx, "registration", { userId: user.id }),
  ]);
  const [{ generateRegistrationOptions }, { isoBase64URL }] = await Promise.all([
    loadWebAuthn(),
    loadWebAuthnHelpers(),
  ]);
  return generateRegistrationOptions({
    rpName: relyingParty.name,
    rpID: relyingParty.id,
    userName: user.email,
    userID: userHandleOf(user.id),
    userDisplayName: [user.firstName, user.lastName].filter(Boolean).join(" ") || user.email,
    challenge: isoBase64URL.toBuffer(challenge),
    timeout: CHALLENGE_TTL_MS,
    attestationType: "none",
    // The browser refuses to register an authenticator that already holds one of these.
    excludeCredentials: existing.map((passkey) => ({ id: passkey.credentialId, transports: passkey.transports })),
    authenticatorSelection: { residentKey: "required", userVerification: "required" },
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  });
}

const REGISTRATION_INVALID_MESSAGE = "The passkey could not be verified. Start the registration again.";

/**
 * Verifies the attestation (`none` is all we ask for: we trust the key, not the maker) against the
 * challenge issued to this user, and stores the credential. A credential id registered by anyone
 * before is 409: an authenticator cannot be moved from one account to another by re-registering.
 */
export async function finishPasskeyRegistration(
  ctx: ServiceContext,
  user: UserProfile,
  input: { name: string; response: RegistrationResponseJSON },
): Promise<PasskeyRow> {
  const challenge = await redeemChallenge(ctx, input.response.response.clientDataJSON, "registration", {
    userId: user.id,
  });
  if (challenge === null) throw new AppError("PASSKEY_REGISTRATION_INVALID", REGISTRATION_INVALID_MESSAGE);
  const relyingParty = relyingPartyFrom(ctx.config);
  const [{ verifyRegistrationResponse }, { isoBase64URL }] = await Promise.all([loadWebAuthn(), loadWebAuthnHelpers()]);
  const verification = await verifyRegistrationResponse({
    response: input.response,
    expectedChallenge: challenge,
    expectedOrigin: relyingParty.origin,
    expectedRPID: relyingParty.id,
    requireUserVerification: true,
    supportedAlgorithmIDs: SUPPORTED_ALGORITHMS,
  }).catch(() => null);
  if (!verification?.verified) throw new AppError("PASSKEY_REGISTRATION_INVALID", REGISTRATION_INVALID_MESSAGE);

  if ((await repo.countPasskeysOfUser(ctx.db, user.id)) >= MAX_PASSKEYS_PER_USER) {
    throw new AppError("CONFLICT", `An account can hold at most ${MAX_PASSKEYS_PER_USER} passkeys.`);
  }
  const { credential } = verification.registrationInfo;
  const row: PasskeyRow = {
    id: crypto.randomUUID(),
    userId: user.id,
    credentialId: credential.id,
    publicKey: isoBase64URL.fromBuffer(credential.publicKey),
    counter: credential.counter,
    transports: credential.transports ?? [],
    name: input.name,
    createdAt: Date.now(),
    lastUsedAt: null,
  };
  try {
    await ctx.db.batch([
      repo.buildPasskeyInsert(ctx.db, row),
      buildAuditInsert(ctx, {
        action: "passkey_registered",
        organizationId: user.organizationId,
        actorUserId: user.id,
        target: row.id,
        ip: ctx.ip,
      }),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", "This passkey is already registered.");
    throw error;
  }
  return row;
}

export function listPasskeys(ctx: ServiceContext, userId: string): Promise<PasskeyRow[]> {
  return repo.listPasskeysOfUser(ctx.db, userId);
}

export async function renamePasskey(
  ctx: ServiceContext,
  userId: string,
  passkeyId: string,
  name: string,
): Promise<PasskeyRow> {
  const row = await repo.renamePasskey(ctx.db, userId, passkeyId, name);
  if (!row) throw new AppError("NOT_FOUND", "No such passkey.");
  return row;
}

export interface PasskeyDeletion {
  userId: string;
  organizationId: string;
  /** When this session's sign-in happened, for the fresh proof. */
  authenticatedAt: number;
  passkeyId: string;
  proof: FreshProofClaim;
}

/**
 * Deletes one of the caller's passkeys after a fresh proof (SEC-69): a second factor is removed
 * only by someone who just proved to be the account's owner, not by whoever holds an old cookie.
 * Another user's id is "not found" like a missing one. The audit row is conditional on the delete
 * in the same batch, so it records only what happened.
 */
export async function deletePasskey(ctx: ServiceContext, input: PasskeyDeletion): Promise<void> {
  const [user, passkey] = await Promise.all([
    findUserById(ctx, input.userId),
    repo.findPasskeyOfUser(ctx.db, input.userId, input.passkeyId),
  ]);
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  // Not found before the proof: nobody is asked for a password to delete nothing.
  if (!passkey) throw new AppError("NOT_FOUND", "No such passkey.");
  await requireFreshProof(
    ctx,
    { userId: user.id, passwordHash: user.passwordHash, authenticatedAt: input.authenticatedAt },
    input.proof,
  );
  const event: AuditEvent = {
    action: "passkey_deleted",
    organizationId: input.organizationId,
    actorUserId: input.userId,
    target: input.passkeyId,
    ip: ctx.ip,
  };
  const [deleted] = await ctx.db.batch([
    repo.buildPasskeyDeletion(ctx.db, input.userId, input.passkeyId),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (deleted.length === 0) throw new AppError("NOT_FOUND", "No such passkey.");
  logAuditEvent(event);
}

/** How many passkeys the user holds: for GET /auth/mfa and require_mfa ("has a second factor"). */
export function countPasskeys(ctx: ServiceContext, userId: string): Promise<number> {
  return repo.countPasskeysOfUser(ctx.db, userId);
}

/** The statement deleting all of a user's passkeys, for the caller's batch (the sys_admin MFA reset). */
export function buildDeleteAllPasskeys(ctx: ServiceContext, userId: string) {
  return repo.buildAllPasskeysDeletion(ctx.db, userId);
}
