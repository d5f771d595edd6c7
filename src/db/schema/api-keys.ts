// Organization API keys (SEC-73): looked up by the SHA-256 of the secret, never stored in clear.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { API_KEY_ROLES } from "../../lib/api-key-scopes";
import { organizations } from "./organizations";

export const apiKeys = sqliteTable(
  "api_key",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    /** SHA-256 (hex) of the whole key: the unique index makes validation one indexed read. */
    keyHash: text("key_hash").notNull().unique(),
    /** The first characters of the key ("rk_" + 8), shown in lists so people can tell keys apart. */
    prefix: text("prefix").notNull(),
    name: text("name").notNull(),
    /** The key's role ceiling: never above member, never above its creator's at creation. */
    role: text("role", { enum: API_KEY_ROLES }).notNull(),
    /** JSON array of API_KEY_SCOPES; a route's scope must be in it (deny by default). */
    scopes: text("scopes", { mode: "json" }).$type<string[]>().notNull(),
    /**
     * Who created it, kept as a plain id (no foreign key): the key is the organization's, not the
     * person's, and outlives the account; the id stays in its usage and audit rows.
     */
    createdByUserId: text("created_by_user_id").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at"),
    /** Written at most once a minute per key, after the response (never on the hot path). */
    lastUsedAt: integer("last_used_at"),
    revokedAt: integer("revoked_at"),
    /** Requests per minute, counted exactly by the RateLimiter object. */
    rateLimitPerMinute: integer("rate_limit_per_minute").notNull().default(600),
    /**
     * Optional AI tokens per billing period for this key alone, held by the same conditional
     * reservation as the organization's cap (features/ai/ledger-repo.ts): both must hold.
     */
    aiTokenLimit: integer("ai_token_limit"),
  },
  (table) => [
    index("api_key_org_created_idx").on(table.organizationId, table.createdAt),
    // The account export lists the keys a person created, in keyset pages (features/users/export-repo.ts).
    index("api_key_creator_idx").on(table.createdByUserId, table.id),
    check("api_key_role_check", sql`role IN ('readonly', 'member')`),
    check("api_key_rate_limit_check", sql`rate_limit_per_minute >= 1`),
    check("api_key_ai_token_limit_check", sql`ai_token_limit IS NULL OR ai_token_limit >= 0`),
  ],
);
