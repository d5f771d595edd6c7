// Tokens in email links (SEC-26 to SEC-28): 32 random bytes, SHA-256 stored, single use, expiring.
import type { Database } from "../../db/client";
import type { EmailTokenPurpose } from "../../db/schema";
import { generateToken, hashToken } from "../../lib/crypto";
import { HOUR_MS } from "../../lib/time";
import type { ServiceContext } from "../../platform/service-context";
import * as repo from "./email-token-repo";

const EMAIL_TOKEN_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * HOUR_MS,
  reset_password: 1 * HOUR_MS,
  change_email: 1 * HOUR_MS,
};

export interface IssuedEmailToken {
  token: string;
  statements: ReturnType<typeof buildIssueStatements>;
}

function buildIssueStatements(db: Database, row: repo.NewEmailToken) {
  return [
    repo.buildTokenInvalidation(db, row.userId, row.purpose, row.createdAt),
    repo.buildTokenInsert(db, row),
  ] as const;
}

/**
 * A new token and the two statements that store it: the invalidation of the user's earlier
 * tokens of the same purpose and the insert. Run them in one batch (with any other effect).
 */
export async function prepareEmailToken(
  ctx: ServiceContext,
  userId: string,
  purpose: EmailTokenPurpose,
  now = Date.now(),
  /** change_email: the address the token is bound to. */
  newEmail: string | null = null,
): Promise<IssuedEmailToken> {
  const token = generateToken();
  const statements = buildIssueStatements(ctx.db, {
    id: crypto.randomUUID(),
    tokenHash: await hashToken(token),
    userId,
    purpose,
    createdAt: now,
    expiresAt: now + EMAIL_TOKEN_LIFETIME_MS[purpose],
    newEmail,
  });
  return { token, statements };
}

/** The valid token's user and bound address (change_email), or null for an unknown, used or expired one. */
export async function findValidEmailToken(
  ctx: ServiceContext,
  tokenHash: string,
  purpose: EmailTokenPurpose,
  now: number,
): Promise<{ userId: string; newEmail: string | null } | null> {
  return (await repo.findValidToken(ctx.db, tokenHash, purpose, now)) ?? null;
}

/** Whether the token is unexpired, unused and of this purpose (a read; consuming is the batch's job). */
export async function isValidEmailToken(
  ctx: ServiceContext,
  tokenHash: string,
  purpose: EmailTokenPurpose,
  now: number,
): Promise<boolean> {
  return (await repo.findValidToken(ctx.db, tokenHash, purpose, now)) !== undefined;
}

/**
 * The subquery that selects the token's user only while the token is valid, and the statement
 * that consumes it (compare-and-set on used_at). Both go in the batch of the change the token
 * allows, so a token used twice concurrently changes nothing the second time.
 */
export function buildEmailTokenRedemption(
  ctx: ServiceContext,
  tokenHash: string,
  purpose: EmailTokenPurpose,
  now: number,
) {
  return {
    owner: repo.selectValidTokenUserId(ctx.db, tokenHash, purpose, now),
    /** change_email: the bound address, as a scalar subquery (NULL when the token is not valid). */
    newEmail: repo.selectValidTokenNewEmail(ctx.db, tokenHash, purpose, now),
    consume: repo.buildTokenConsume(ctx.db, tokenHash, purpose, now),
  };
}
