// Single-use tokens sent in email links (SEC-26): verification, password reset, email change.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const EMAIL_TOKEN_PURPOSES = ["verify_email", "reset_password", "change_email"] as const;
export type EmailTokenPurpose = (typeof EMAIL_TOKEN_PURPOSES)[number];

export const emailTokens = sqliteTable(
  "email_token",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    purpose: text("purpose", { enum: EMAIL_TOKEN_PURPOSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    usedAt: integer("used_at"),
    /**
     * change_email only: the normalized address the link confirms. The token is bound to it, so
     * a link can only ever move the account to the address it was sent to (SEC-78).
     */
    newEmail: text("new_email"),
  },
  (table) => [
    index("email_token_user_purpose_idx").on(table.userId, table.purpose),
    index("email_token_expires_idx").on(table.expiresAt),
    // The retention prune picks used tokens by this index and expired ones by the one above: an
    // OR of the two conditions in one WHERE made SQLite scan the table.
    index("email_token_used_idx").on(table.usedAt).where(sql`used_at IS NOT NULL`),
    check(
      "email_token_purpose_check",
      sql.raw(`purpose IN (${EMAIL_TOKEN_PURPOSES.map((purpose) => `'${purpose}'`).join(", ")})`),
    ),
  ],
);
