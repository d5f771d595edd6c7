// Statements of a confirmed email change, each limited to the user a still-valid token selects.
import { inArray, sql, type SQLWrapper } from "drizzle-orm";
import type { Database } from "../../db/client";
import { sessions, users } from "../../db/schema";

/**
 * The address comes from the token row itself (a scalar subquery), never from the request: the
 * link can only move the account to the address it was mailed to. The new address is verified by
 * the click. A UNIQUE conflict (the address was taken meanwhile) fails the whole batch.
 */
export function buildEmailChangeByToken(db: Database, owner: SQLWrapper, newEmail: SQLWrapper, now: number) {
  return db
    .update(users)
    .set({ email: sql`(${newEmail})`, emailVerifiedAt: now, updatedAt: now })
    .where(inArray(users.id, owner));
}

export function buildSessionsDeletionByOwner(db: Database, owner: SQLWrapper) {
  return db.delete(sessions).where(inArray(sessions.userId, owner));
}
