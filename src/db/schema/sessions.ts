// Server-side sessions, looked up by the SHA-256 of the cookie token (SEC-14). Each carries the
// organization it acts in; the per-request read checks a live membership in it (SEC-77).
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import { organizations } from "./organizations";
import { users } from "./users";

export const sessions = sqliteTable(
  "session",
  {
    id: text("id").primaryKey(),
    tokenHash: text("token_hash").notNull().unique(),
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    activeOrganizationId: text("active_organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    createdAt: integer("created_at").notNull(),
    /**
     * When the owner last proved who they are on this session (the sign-in). Never moved by
     * expiry: it is what "a sign-in within the last 10 minutes" means for a fresh proof (SEC-69).
     * Rows older than this column read 0, i.e. never fresh.
     */
    authenticatedAt: integer("authenticated_at").notNull().default(0),
    expiresAt: integer("expires_at").notNull(),
    userAgent: text("user_agent"),
    ip: text("ip"),
  },
  (table) => [index("session_user_idx").on(table.userId), index("session_expires_idx").on(table.expiresAt)],
);
