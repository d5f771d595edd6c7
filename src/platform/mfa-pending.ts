// Pending logins (SEC-67): the state between a proven first factor (password, Google) and the
// second one (TOTP or recovery code in features/mfa, a passkey in features/passkeys). Whoever
// completes it consumes it here; nothing else about the session is decided in this module.
import { and, eq, gt, lt, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { deleteRowsBatch } from "../db/delete-batch";
import { type FirstFactor, mfaPendingLogins } from "../db/schema";
import { generateToken, hashToken, isWellFormedToken } from "../lib/crypto";
import { SECOND_MS } from "../lib/time";

/** How long the second step may take: long enough to open an authenticator app, no longer. */
export const MFA_PENDING_TTL_SECONDS = 5 * 60;

/** Guesses per pending login; the account-wide budget is features/mfa's (SEC-67). */
const MFA_PENDING_ATTEMPTS = 5;

export type { FirstFactor };

export interface IssuedPendingLogin {
  /** The raw token: goes into the mfa_pending cookie and nowhere else; stored as its SHA-256. */
  token: string;
  expiresAt: number;
}

/** A pending login whose attempt was just counted: who it is for and how it started. */
export interface ClaimedPendingLogin {
  id: string;
  userId: string;
  firstFactor: FirstFactor;
  /** Attempts left after this one. */
  attemptsLeft: number;
}

/**
 * A new pending login for `userId` whose `firstFactor` was just proven, as an unexecuted insert so
 * the caller can batch it with its audit row. The token is always fresh (like a session's, SEC-16).
 */
export async function buildPendingLogin(
  db: Database,
  input: { userId: string; firstFactor: FirstFactor },
  now = Date.now(),
): Promise<{ issued: IssuedPendingLogin; insert: ReturnType<typeof insertPendingLogin> }> {
  const token = generateToken();
  const expiresAt = now + MFA_PENDING_TTL_SECONDS * SECOND_MS;
  const insert = insertPendingLogin(db, {
    id: crypto.randomUUID(),
    tokenHash: await hashToken(token),
    userId: input.userId,
    firstFactor: input.firstFactor,
    attemptsLeft: MFA_PENDING_ATTEMPTS,
    createdAt: now,
    expiresAt,
  });
  return { issued: { token, expiresAt }, insert };
}

function insertPendingLogin(db: Database, row: typeof mfaPendingLogins.$inferInsert) {
  return db.insert(mfaPendingLogins).values(row);
}

/**
 * Counts one attempt against the pending login and returns it, or null when the token is unknown,
 * expired or out of attempts. The count is a conditional UPDATE (attempts_left > 0), so concurrent
 * guesses can never exceed the budget: call it BEFORE checking the submitted factor.
 */
export async function claimPendingAttempt(
  db: Database,
  token: string,
  now = Date.now(),
): Promise<ClaimedPendingLogin | null> {
  if (!isWellFormedToken(token)) return null;
  const [row] = await db
    .update(mfaPendingLogins)
    .set({ attemptsLeft: sql`${mfaPendingLogins.attemptsLeft} - 1` })
    .where(
      and(
        eq(mfaPendingLogins.tokenHash, await hashToken(token)),
        gt(mfaPendingLogins.expiresAt, now),
        gt(mfaPendingLogins.attemptsLeft, 0),
      ),
    )
    .returning({
      id: mfaPendingLogins.id,
      userId: mfaPendingLogins.userId,
      firstFactor: mfaPendingLogins.firstFactor,
      attemptsLeft: mfaPendingLogins.attemptsLeft,
    });
  return row ?? null;
}

/**
 * The pending login without counting an attempt (e.g. to build passkey options for its user), or
 * null when unknown, expired or out of attempts.
 * @public (for features/passkeys: the options of a passkey that completes a pending login)
 */
export async function readPendingLogin(
  db: Database,
  token: string,
  now = Date.now(),
): Promise<ClaimedPendingLogin | null> {
  if (!isWellFormedToken(token)) return null;
  const row = await db
    .select({
      id: mfaPendingLogins.id,
      userId: mfaPendingLogins.userId,
      firstFactor: mfaPendingLogins.firstFactor,
      attemptsLeft: mfaPendingLogins.attemptsLeft,
    })
    .from(mfaPendingLogins)
    .where(
      and(
        eq(mfaPendingLogins.tokenHash, await hashToken(token)),
        gt(mfaPendingLogins.expiresAt, now),
        gt(mfaPendingLogins.attemptsLeft, 0),
      ),
    )
    .get();
  return row ?? null;
}

/**
 * Consumes the pending login after its second factor verified: true for exactly one caller (the
 * DELETE is the compare-and-set), so two concurrent completions yield one session, not two.
 */
export async function consumePendingLogin(db: Database, pending: { id: string; userId: string }): Promise<boolean> {
  const deleted = await db
    .delete(mfaPendingLogins)
    .where(and(eq(mfaPendingLogins.id, pending.id), eq(mfaPendingLogins.userId, pending.userId)))
    .returning({ id: mfaPendingLogins.id });
  return deleted.length === 1;
}

/** Every pending login of the user (a second-factor reset, a suspension): unexecuted, for a batch. */
export function buildDeleteUserPendingLogins(db: Database, userId: string) {
  return db.delete(mfaPendingLogins).where(eq(mfaPendingLogins.userId, userId));
}

/** One bounded batch of pending logins expired before `cutoff`; returns how many were deleted. */
export function deleteExpiredPendingLoginsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  return deleteRowsBatch(
    db,
    { table: mfaPendingLogins, id: mfaPendingLogins.id, where: lt(mfaPendingLogins.expiresAt, cutoff) },
    batchSize,
  );
}
