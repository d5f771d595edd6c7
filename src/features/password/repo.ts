// Statements of a password reset, each limited to the user a still-valid token selects.
import { inArray, type SQLWrapper } from "drizzle-orm";
import type { Database } from "../../db/client";
import { sessions, users } from "../../db/schema";

export function buildPasswordResetByToken(db: Database, owner: SQLWrapper, passwordHash: string, now: number) {
  return db.update(users).set({ passwordHash, updatedAt: now }).where(inArray(users.id, owner));
}

export function buildSessionsDeletionByToken(db: Database, owner: SQLWrapper) {
  return db.delete(sessions).where(inArray(sessions.userId, owner));
}
