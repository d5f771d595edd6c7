// Second factors of the signed-in user: TOTP enrolment, recovery codes, and checking a submitted
// factor (SEC-65, SEC-66). Knows nothing about HTTP.
import { requireSubsystemConfig } from "../../config";
import { AppError } from "../../errors";
import { type FreshProofClaim, requireFreshProof } from "../../platform/fresh-proof";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert } from "../audit/service";
import { countPasskeys } from "../passkeys/service";
import { findUserById } from "../users/service";
import {
  RECOVERY_CODES_PER_SET,
  generateRecoveryCodes,
  hashRecoveryCode,
  normalizeRecoveryCode,
} from "./recovery-codes";
import * as repo from "./repo";
import { decryptTotpSecret, encryptTotpSecret } from "./secret-box";
import { buildTotpURI, findMatchingTotpStep, formatTotpSecret, generateTotpSecret } from "./totp";

/** How a pending login may be completed; a passkey completes it through /auth/passkeys/login/*. */
export type SecondFactorMethod = "totp" | "passkey" | "recovery_code";

/** A submitted second factor: a TOTP code or a recovery code. */
export type SecondFactorSubmission = { kind: "totp"; code: string } | { kind: "recovery_code"; code: string };

export interface MfaStatus {
  totp: boolean;
  passkeys: number;
  recoveryCodesLeft: number;
}

/** Shown in authenticator apps above the account name. */
const TOTP_ISSUER = "Rampart";

export const INVALID_CODE_MESSAGE = "The code is wrong, expired or already used.";

export async function getMfaStatus(ctx: ServiceContext, userId: string): Promise<MfaStatus> {
  const [credential, passkeys, recoveryCodesLeft] = await Promise.all([
    repo.findTotpCredential(ctx.db, userId),
    countPasskeys(ctx, userId),
    repo.countUnusedRecoveryCodes(ctx.db, userId),
  ]);
  return { totp: credential?.confirmedAt != null, passkeys, recoveryCodesLeft };
}

/** The methods that can complete a pending login of this user. */
export async function listSecondFactorMethods(ctx: ServiceContext, userId: string): Promise<SecondFactorMethod[]> {
  const status = await getMfaStatus(ctx, userId);
  const methods: SecondFactorMethod[] = [];
  if (status.totp) methods.push("totp");
  if (status.passkeys > 0) methods.push("passkey");
  if (status.recoveryCodesLeft > 0) methods.push("recovery_code");
  return methods;
}

/**
 * Second-factor changes need a fresh proof (SEC-69): the current password, plus a TOTP code when
 * TOTP is on (the SecondFactorCheck of second-factor-check.ts), or a sign-in within 10 minutes.
 */
async function requireMfaFreshProof(
  ctx: ServiceContext,
  userId: string,
  proof: SecondFactorChangeProof,
): Promise<void> {
  const user = await findUserById(ctx, userId);
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  await requireFreshProof(
    ctx,
    { userId: user.id, passwordHash: user.passwordHash, authenticatedAt: proof.authenticatedAt },
    proof.claim,
  );
}

/** What a second-factor change is proven with: the session's sign-in time and the request's claim. */
export interface SecondFactorChangeProof {
  authenticatedAt: number;
  claim: FreshProofClaim;
}

function encryptionKey(ctx: ServiceContext): Uint8Array {
  return requireSubsystemConfig(ctx.config, "mfa").encryptionKey;
}

/**
 * A new TOTP secret, stored encrypted and unconfirmed until a first code proves the app has it.
 * A confirmed credential is never replaced here (409): remove it first, with a fresh proof.
 */
export async function setUpTotp(
  ctx: ServiceContext,
  user: { id: string; email: string; organizationId: string },
  proof: SecondFactorChangeProof,
): Promise<{ secret: string; otpauthURL: string }> {
  await requireMfaFreshProof(ctx, user.id, proof);
  const secret = generateTotpSecret();
  const encryptedSecret = await encryptTotpSecret(encryptionKey(ctx), user.id, secret);
  const [written] = await ctx.db.batch([
    repo.upsertPendingTotpCredential(ctx.db, { userId: user.id, encryptedSecret, createdAt: Date.now() }),
    buildAuditInsert(ctx, {
      action: "totp_setup_started",
      organizationId: user.organizationId,
      actorUserId: user.id,
      ip: ctx.ip,
    }),
  ]);
  if (written.length === 0) throw new AppError("CONFLICT", "TOTP is already enabled; remove it first.");
  return { secret: formatTotpSecret(secret), otpauthURL: buildTotpURI(TOTP_ISSUER, user.email, secret) };
}

/**
 * Confirms the pending secret with a first code and returns the first set of recovery codes. The
 * confirmation is a compare-and-set (confirmed_at IS NULL), so two confirmations make one set.
 */
export async function confirmTotp(
  ctx: ServiceContext,
  user: { id: string; organizationId: string },
  code: string,
): Promise<string[]> {
  const credential = await repo.findTotpCredential(ctx.db, user.id);
  if (!credential || credential.confirmedAt !== null) {
    throw new AppError("CONFLICT", "There is no TOTP setup to confirm; start one with POST /auth/mfa/totp/setup.");
  }
  const now = Date.now();
  const step = await matchTotpCode(ctx, credential, code, now);
  const claimed = step === null ? [] : await repo.claimTotpStep(ctx.db, { userId: user.id, step, now, confirm: true });
  if (claimed.length === 0) throw new AppError("MFA_CODE_INVALID", INVALID_CODE_MESSAGE);
  return replaceRecoveryCodes(ctx, user, "totp_enabled");
}

/** Removes TOTP and its recovery codes; the caller has checked a fresh proof. */
export async function removeTotp(
  ctx: ServiceContext,
  user: { id: string; organizationId: string },
  proof: SecondFactorChangeProof,
): Promise<void> {
  await requireMfaFreshProof(ctx, user.id, proof);
  await ctx.db.batch([
    repo.buildDeleteTotpCredential(ctx.db, user.id),
    repo.buildDeleteRecoveryCodes(ctx.db, user.id),
    buildAuditInsert(ctx, {
      action: "totp_disabled",
      organizationId: user.organizationId,
      actorUserId: user.id,
      ip: ctx.ip,
    }),
  ]);
}

/** A new set of recovery codes; the old set stops working in the same batch (SEC-66). */
export async function regenerateRecoveryCodes(
  ctx: ServiceContext,
  user: { id: string; organizationId: string },
  proof: SecondFactorChangeProof,
): Promise<string[]> {
  await requireMfaFreshProof(ctx, user.id, proof);
  const status = await getMfaStatus(ctx, user.id);
  if (!status.totp) throw new AppError("CONFLICT", "Recovery codes need a second factor; enable TOTP first.");
  return replaceRecoveryCodes(ctx, user, "recovery_codes_regenerated");
}

async function replaceRecoveryCodes(
  ctx: ServiceContext,
  user: { id: string; organizationId: string },
  action: "totp_enabled" | "recovery_codes_regenerated",
): Promise<string[]> {
  const codes = generateRecoveryCodes();
  const now = Date.now();
  const rows = await Promise.all(
    codes.map(async (code) => ({
      id: crypto.randomUUID(),
      userId: user.id,
      // Generated codes are always well-formed.
      codeHash: await hashRecoveryCode(user.id, normalizeRecoveryCode(code) ?? code),
      createdAt: now,
    })),
  );
  await ctx.db.batch([
    repo.buildDeleteRecoveryCodes(ctx.db, user.id),
    repo.buildInsertRecoveryCodes(ctx.db, rows),
    buildAuditInsert(ctx, {
      action,
      organizationId: user.organizationId,
      actorUserId: user.id,
      ip: ctx.ip,
      details: { recovery_codes: RECOVERY_CODES_PER_SET },
    }),
  ]);
  return codes;
}

/**
 * Whether the submitted factor is the user's, consuming it: a TOTP step is accepted once (the
 * step CAS, SEC-65), a recovery code once (its CAS, SEC-66). False for anything else, alike.
 */
export async function consumeSecondFactor(
  ctx: ServiceContext,
  userId: string,
  submission: SecondFactorSubmission,
): Promise<boolean> {
  const now = Date.now();
  if (submission.kind === "recovery_code") {
    const normalized = normalizeRecoveryCode(submission.code);
    if (normalized === null) return false;
    const codeHash = await hashRecoveryCode(userId, normalized);
    return (await repo.claimRecoveryCode(ctx.db, { userId, codeHash, now })).length === 1;
  }
  const credential = await repo.findTotpCredential(ctx.db, userId);
  if (!credential || credential.confirmedAt === null) return false;
  const step = await matchTotpCode(ctx, credential, submission.code, now);
  if (step === null) return false;
  return (await repo.claimTotpStep(ctx.db, { userId, step, now, confirm: false })).length === 1;
}

/** Whether the user has a confirmed TOTP credential (a fresh proof then needs its code too). */
export async function hasTotp(ctx: ServiceContext, userId: string): Promise<boolean> {
  const credential = await repo.findTotpCredential(ctx.db, userId);
  return credential?.confirmedAt != null;
}

async function matchTotpCode(
  ctx: ServiceContext,
  credential: repo.TotpCredentialRow,
  code: string,
  now: number,
): Promise<number | null> {
  const secret = await decryptTotpSecret(encryptionKey(ctx), credential.userId, credential.encryptedSecret);
  if (!secret) {
    // A key change without re-encryption: every code would fail; say so to the operator, not the user.
    throw new AppError("MISCONFIGURED", "The stored TOTP secret does not decrypt with MFA_ENCRYPTION_KEY.", {
      settings: ["MFA_ENCRYPTION_KEY"],
    });
  }
  return findMatchingTotpStep(secret, code, now);
}
