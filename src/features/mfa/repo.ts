// TOTP credentials and recovery codes. No rules here; the compare-and-sets are the callers'.
import { and, count, eq, isNotNull, isNull, lt, or } from "drizzle-orm";
import type { Database } from "../../db/client";
import { recoveryCodes, totpCredentials } from "../../db/schema";

export type TotpCredentialRow = typeof totpCredentials.$inferSelect;

export function findTotpCredential(db: Database, userId: string) {
  return db.select().from(totpCredentials).where(eq(totpCredentials.userId, userId)).get();
}

/**
 * A new unconfirmed credential, replacing an earlier unconfirmed one; a confirmed one is left as
 * it is (the upsert's WHERE), so setup can never silently swap the secret of an enrolled user.
 */
export function upsertPendingTotpCredential(
  db: Database,
  row: { userId: string; encryptedSecret: string; createdAt: number },
) {
  return db
    .insert(totpCredentials)
    .values({ ...row, confirmedAt: null, lastUsedStep: null })
    .onConflictDoUpdate({
      target: totpCredentials.userId,
      set: { encryptedSecret: row.encryptedSecret, createdAt: row.createdAt, lastUsedStep: null },
      setWhere: isNull(totpCredentials.confirmedAt),
    })
    .returning({ userId: totpCredentials.userId });
}

/**
 * Accepts `step` for the user's credential: confirms it (when `confirm`) and records the step, only
 * if it is later than the last step used (SEC-65: no code twice). Returns the row when it won.
 */
export function claimTotpStep(db: Database, input: { userId: string; step: number; now: number; confirm: boolean }) {
  return db
    .update(totpCredentials)
    .set(input.confirm ? { lastUsedStep: input.step, confirmedAt: input.now } : { lastUsedStep: input.step })
    .where(
      and(
        eq(totpCredentials.userId, input.userId),
        input.confirm ? isNull(totpCredentials.confirmedAt) : isNotNull(totpCredentials.confirmedAt),
        or(isNull(totpCredentials.lastUsedStep), lt(totpCredentials.lastUsedStep, input.step)),
      ),
    )
    .returning({ userId: totpCredentials.userId });
}

export function buildDeleteTotpCredential(db: Database, userId: string) {
  return db
    .delete(totpCredentials)
    .where(eq(totpCredentials.userId, userId))
    .returning({ userId: totpCredentials.userId });
}

export function buildDeleteRecoveryCodes(db: Database, userId: string) {
  return db.delete(recoveryCodes).where(eq(recoveryCodes.userId, userId));
}

export function buildInsertRecoveryCodes(db: Database, rows: (typeof recoveryCodes.$inferInsert)[]) {
  return db.insert(recoveryCodes).values(rows);
}

/** Marks the code used if it is the user's and unused: one winner however many try (SEC-66). */
export function claimRecoveryCode(db: Database, input: { userId: string; codeHash: string; now: number }) {
  return db
    .update(recoveryCodes)
    .set({ usedAt: input.now })
    .where(
      and(
        eq(recoveryCodes.userId, input.userId),
        eq(recoveryCodes.codeHash, input.codeHash),
        isNull(recoveryCodes.usedAt),
      ),
    )
    .returning({ id: recoveryCodes.id });
}

export async function countUnusedRecoveryCodes(db: Database, userId: string): Promise<number> {
  const row = await db
    .select({ value: count() })
    .from(recoveryCodes)
    .where(and(eq(recoveryCodes.userId, userId), isNull(recoveryCodes.usedAt)))
    .get();
  return row?.value ?? 0;
}
