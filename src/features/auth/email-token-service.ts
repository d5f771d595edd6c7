// Tokens in email links (SEC-26 to SEC-28): 32 random bytes, SHA-256 stored, single use, expiring.
import type { Database } from "../../db/client";
import type { EmailTokenPurpose } from "../../db/schema";
import { generateToken, hashToken } from "../../lib/crypto";
import { HOUR_MS } from "../../lib/time";
import { buildTokenInsert, buildTokenInvalidation } from "./email-token-repo";

const EMAIL_TOKEN_LIFETIME_MS: Record<EmailTokenPurpose, number> = {
  verify_email: 24 * HOUR_MS,
  reset_password: 1 * HOUR_MS,
};

export interface IssuedEmailToken {
  token: string;
  statements: ReturnType<typeof buildIssueStatements>;
}

function buildIssueStatements(
  db: Database,
  row: {
    id: string;
    tokenHash: string;
    userId: string;
    purpose: EmailTokenPurpose;
    createdAt: number;
    expiresAt: number;
  },
) {
  return [buildTokenInvalidation(db, row.userId, row.purpose, row.createdAt), buildTokenInsert(db, row)] as const;
}

/**
 * A new token and the two statements that store it: the invalidation of the user's earlier
 * tokens of the same purpose and the insert. Run them in one batch (with any other effect).
 */
export async function prepareEmailToken(
  db: Database,
  userId: string,
  purpose: EmailTokenPurpose,
  now = Date.now(),
): Promise<IssuedEmailToken> {
  const token = generateToken();
  const statements = buildIssueStatements(db, {
    id: crypto.randomUUID(),
    tokenHash: await hashToken(token),
    userId,
    purpose,
    createdAt: now,
    expiresAt: now + EMAIL_TOKEN_LIFETIME_MS[purpose],
  });
  return { token, statements };
}
