// The API key reads and writes of the request path: one indexed read, one throttled update.
import { and, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys, organizations } from "../../db/schema";

/**
 * Key and organization in one read by the unique key_hash index. Revocation, expiry and the
 * organization's suspension are conditions of the query, so a row comes back only for a usable key
 * and a revoked key is refused on its very next request (SEC-73).
 */
function prepareFindUsableApiKey(db: Database) {
  return db
    .select({
      id: apiKeys.id,
      organizationId: apiKeys.organizationId,
      role: apiKeys.role,
      scopes: apiKeys.scopes,
      createdByUserId: apiKeys.createdByUserId,
      lastUsedAt: apiKeys.lastUsedAt,
      rateLimitPerMinute: apiKeys.rateLimitPerMinute,
      aiTokenLimit: apiKeys.aiTokenLimit,
    })
    .from(apiKeys)
    .innerJoin(organizations, eq(organizations.id, apiKeys.organizationId))
    .where(
      and(
        eq(apiKeys.keyHash, sql.placeholder("keyHash")),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql.placeholder("now"))),
        isNull(organizations.suspendedAt),
      ),
    )
    .limit(1)
    .prepare();
}

/** Built once per drizzle instance, as the session lookup is (platform/sessions/repo.ts). */
const preparedFindUsableApiKey = new WeakMap<Database, ReturnType<typeof prepareFindUsableApiKey>>();

export async function findUsableApiKey(db: Database, keyHash: string, now: number) {
  let query = preparedFindUsableApiKey.get(db);
  if (!query) {
    query = prepareFindUsableApiKey(db);
    preparedFindUsableApiKey.set(db, query);
  }
  const rows = await query.all({ keyHash, now });
  return rows[0] ?? null;
}

/**
 * Sets last_used_at only if it is older than `staleBefore`: concurrent requests of one key in the
 * same minute all see a stale value, and the condition lets one of them write, the rest change
 * nothing.
 */
export function updateApiKeyLastUsed(db: Database, keyId: string, now: number, staleBefore: number) {
  return db
    .update(apiKeys)
    .set({ lastUsedAt: now })
    .where(and(eq(apiKeys.id, keyId), or(isNull(apiKeys.lastUsedAt), lt(apiKeys.lastUsedAt, staleBefore))));
}
