// email_token rows. Validity (unused, unexpired, right purpose) is always part of the WHERE clause.
import { and, eq, gt, isNotNull, isNull, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { emailTokens, type EmailTokenPurpose } from "../../db/schema";
import { deleteRowsBatch } from "../../db/delete-batch";

function isValidToken(tokenHash: string, purpose: EmailTokenPurpose, now: number) {
  return and(
    eq(emailTokens.tokenHash, tokenHash),
    eq(emailTokens.purpose, purpose),
    isNull(emailTokens.usedAt),
    gt(emailTokens.expiresAt, now),
  );
}

/** Subquery: the user a valid token belongs to (empty when the token is not valid). */
export function selectValidTokenUserId(db: Database, tokenHash: string, purpose: EmailTokenPurpose, now: number) {
  return db
    .select({ userId: emailTokens.userId })
    .from(emailTokens)
    .where(isValidToken(tokenHash, purpose, now));
}

/** Subquery: the address a valid change_email token is bound to. */
export function selectValidTokenNewEmail(db: Database, tokenHash: string, purpose: EmailTokenPurpose, now: number) {
  return db
    .select({ newEmail: emailTokens.newEmail })
    .from(emailTokens)
    .where(isValidToken(tokenHash, purpose, now));
}

export function findValidToken(db: Database, tokenHash: string, purpose: EmailTokenPurpose, now: number) {
  return db
    .select({ id: emailTokens.id, userId: emailTokens.userId, newEmail: emailTokens.newEmail })
    .from(emailTokens)
    .where(isValidToken(tokenHash, purpose, now))
    .get();
}

/** Compare-and-set consumption: returns the row only to the one caller that used it (SEC-27). */
export function buildTokenConsume(db: Database, tokenHash: string, purpose: EmailTokenPurpose, now: number) {
  return db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(isValidToken(tokenHash, purpose, now))
    .returning({ userId: emailTokens.userId });
}

/** Marks every unused token of this purpose as used, so only the newest link works (SEC-28). */
export function buildTokenInvalidation(db: Database, userId: string, purpose: EmailTokenPurpose, now: number) {
  return db
    .update(emailTokens)
    .set({ usedAt: now })
    .where(and(eq(emailTokens.userId, userId), eq(emailTokens.purpose, purpose), isNull(emailTokens.usedAt)));
}

/** A token row as issued: its hash only, never the token (SEC-26). */
export interface NewEmailToken {
  id: string;
  tokenHash: string;
  userId: string;
  purpose: EmailTokenPurpose;
  createdAt: number;
  expiresAt: number;
  newEmail: string | null;
}

export function buildTokenInsert(db: Database, row: NewEmailToken) {
  return db.insert(emailTokens).values(row);
}

/**
 * One bounded batch of tokens expired or used before `cutoff`; returns how many were deleted.
 * Two picks, each a range seek on its own index (email_token_expires_idx, then email_token_used_idx
 * with what is left of the batch): one WHERE with an OR of both made SQLite scan the whole table.
 */
export async function deleteStaleTokensBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  const { id, expiresAt, usedAt } = emailTokens;
  const expired = await deleteRowsBatch(db, { table: emailTokens, id, where: lt(expiresAt, cutoff) }, batchSize);
  if (expired >= batchSize) return expired;
  const used = and(isNotNull(usedAt), lt(usedAt, cutoff));
  return expired + (await deleteRowsBatch(db, { table: emailTokens, id, where: used }, batchSize - expired));
}
