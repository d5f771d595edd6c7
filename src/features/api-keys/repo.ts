// api_key rows of one organization: insert, list, revoke. Every query filters by organization_id.
import { and, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client";
import { apiKeys } from "../../db/schema";

export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type NewApiKeyRow = typeof apiKeys.$inferInsert;

export function buildApiKeyInsert(db: Database, row: NewApiKeyRow) {
  return db.insert(apiKeys).values(row);
}

/** The organization's keys that are not revoked, newest first; the hash is never selected. */
export function listOrganizationApiKeys(db: Database, organizationId: string) {
  return db
    .select({
      id: apiKeys.id,
      name: apiKeys.name,
      prefix: apiKeys.prefix,
      role: apiKeys.role,
      scopes: apiKeys.scopes,
      rateLimitPerMinute: apiKeys.rateLimitPerMinute,
      aiTokenLimit: apiKeys.aiTokenLimit,
      createdByUserId: apiKeys.createdByUserId,
      createdAt: apiKeys.createdAt,
      lastUsedAt: apiKeys.lastUsedAt,
      expiresAt: apiKeys.expiresAt,
    })
    .from(apiKeys)
    .where(and(eq(apiKeys.organizationId, organizationId), isNull(apiKeys.revokedAt)))
    .orderBy(desc(apiKeys.createdAt), apiKeys.id);
}

export type ListedApiKey = Awaited<ReturnType<typeof listOrganizationApiKeys>>[number];

/** Compare-and-set: only a live key of this organization is revoked, and only once. */
export function buildApiKeyRevocation(db: Database, organizationId: string, keyId: string, now: number) {
  return db
    .update(apiKeys)
    .set({ revokedAt: now })
    .where(and(eq(apiKeys.organizationId, organizationId), eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)));
}
