// Passkey and WebAuthn challenge rows. No rules here.
import { and, asc, count, eq, gt, inArray, isNull, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import {
  memberships,
  organizations,
  passkeys,
  type WebAuthnCeremony,
  users,
  webauthnChallenges,
} from "../../db/schema";
import { signInMembershipOn, signInUserColumns } from "../../platform/sessions/sign-in-organization";

export type PasskeyRow = typeof passkeys.$inferSelect;
export type NewChallengeRow = typeof webauthnChallenges.$inferInsert;

/** How many expired challenges one new challenge sweeps away (see buildChallengeInsert). */
const EXPIRED_CHALLENGE_SWEEP = 20;

/**
 * The challenge insert, preceded by a bounded sweep of expired ones: every request that creates a
 * challenge also removes up to 20 stale ones, so abandoned ceremonies never pile up (the options
 * routes are rate limited, so at most one row is added per sweep) without a job of their own.
 */
export function buildChallengeInsert(db: Database, row: NewChallengeRow, now: number) {
  const expired = db
    .select({ challenge: webauthnChallenges.challenge })
    .from(webauthnChallenges)
    .where(lt(webauthnChallenges.expiresAt, now))
    .limit(EXPIRED_CHALLENGE_SWEEP);
  return [
    db.delete(webauthnChallenges).where(inArray(webauthnChallenges.challenge, expired)),
    db.insert(webauthnChallenges).values(row),
  ] as const;
}

/**
 * Consumes a challenge by compare-and-set: the DELETE matches only an unexpired challenge of this
 * ceremony issued to this user (or to nobody, `userId` null), and only one caller can delete a
 * row, so a challenge is answered at most once however many requests race with it (SEC-68).
 */
export async function consumeChallenge(
  db: Database,
  challenge: string,
  expected: { ceremony: WebAuthnCeremony; userId: string | null; now: number },
): Promise<boolean> {
  const owner =
    expected.userId === null ? isNull(webauthnChallenges.userId) : eq(webauthnChallenges.userId, expected.userId);
  const deleted = await db
    .delete(webauthnChallenges)
    .where(
      and(
        eq(webauthnChallenges.challenge, challenge),
        eq(webauthnChallenges.ceremony, expected.ceremony),
        owner,
        gt(webauthnChallenges.expiresAt, expected.now),
      ),
    )
    .returning({ challenge: webauthnChallenges.challenge });
  return deleted.length === 1;
}

export function listPasskeysOfUser(db: Database, userId: string) {
  return db.select().from(passkeys).where(eq(passkeys.userId, userId)).orderBy(asc(passkeys.createdAt), passkeys.id);
}

export function findPasskeyOfUser(db: Database, userId: string, passkeyId: string) {
  return db
    .select({ id: passkeys.id })
    .from(passkeys)
    .where(and(eq(passkeys.userId, userId), eq(passkeys.id, passkeyId)))
    .get();
}

export async function countPasskeysOfUser(db: Database, userId: string): Promise<number> {
  const row = await db.select({ n: count() }).from(passkeys).where(eq(passkeys.userId, userId)).get();
  return row?.n ?? 0;
}

/** The credential and what a sign-in needs to know about its owner, in one read. */
export function findPasskeyWithOwner(db: Database, credentialId: string) {
  return db
    .select({
      passkey: passkeys,
      user: signInUserColumns(),
    })
    .from(passkeys)
    .innerJoin(users, eq(users.id, passkeys.userId))
    .leftJoin(memberships, signInMembershipOn())
    .leftJoin(organizations, eq(organizations.id, memberships.organizationId))
    .where(eq(passkeys.credentialId, credentialId))
    .get();
}

export function buildPasskeyInsert(db: Database, row: PasskeyRow) {
  return db.insert(passkeys).values(row);
}

/**
 * Records a use by compare-and-set on the counter the assertion was checked against: if another
 * assertion of the same credential was recorded in between, this one changes nothing (and the
 * caller refuses it), so the stored counter never goes backwards (SEC-68).
 */
export function buildPasskeyUseUpdate(
  db: Database,
  passkeyId: string,
  use: { checkedCounter: number; newCounter: number; now: number },
) {
  return db
    .update(passkeys)
    .set({ counter: use.newCounter, lastUsedAt: use.now })
    .where(and(eq(passkeys.id, passkeyId), eq(passkeys.counter, use.checkedCounter)))
    .returning({ id: passkeys.id });
}

export function renamePasskey(db: Database, userId: string, passkeyId: string, name: string) {
  return db
    .update(passkeys)
    .set({ name })
    .where(and(eq(passkeys.userId, userId), eq(passkeys.id, passkeyId)))
    .returning()
    .get();
}

export function buildPasskeyDeletion(db: Database, userId: string, passkeyId: string) {
  return db
    .delete(passkeys)
    .where(and(eq(passkeys.userId, userId), eq(passkeys.id, passkeyId)))
    .returning({ id: passkeys.id });
}

export function buildAllPasskeysDeletion(db: Database, userId: string) {
  return db.delete(passkeys).where(eq(passkeys.userId, userId));
}
