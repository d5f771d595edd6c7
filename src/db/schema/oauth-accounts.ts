// Sign-in identities at OpenID providers, keyed by (provider, subject), never by email (SEC-40).
import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";
import { users } from "./users";

export const oauthAccounts = sqliteTable(
  "oauth_account",
  {
    id: text("id").primaryKey(),
    /** "google"; the name of the provider in our routes, not its issuer URL. */
    provider: text("provider").notNull(),
    /** The ID token's `sub`: stable per account at the provider, unlike its email. */
    subject: text("subject").notNull(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    /** The provider's verified email when the link was made, for support and audits. */
    email: text("email").notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    uniqueIndex("oauth_account_provider_subject_idx").on(table.provider, table.subject),
    // One identity per provider per user: a second Google account never attaches to the same user.
    uniqueIndex("oauth_account_provider_user_idx").on(table.provider, table.userId),
    index("oauth_account_user_idx").on(table.userId),
  ],
);
