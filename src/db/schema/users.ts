// Accounts. Emails are stored normalized (SEC-32); password_hash is a PHC string or NULL. Which
// organizations a user belongs to, and with which role, is in membership (memberships.ts).
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const users = sqliteTable(
  "user",
  {
    id: text("id").primaryKey(),
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    /** A platform attribute, not a role inside an organization: it is never granted by one (SEC-34). */
    isSysAdmin: integer("is_sys_admin", { mode: "boolean" }).notNull().default(false),
    emailVerifiedAt: integer("email_verified_at"),
    suspendedAt: integer("suspended_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    // GET /admin/stats: signups per day.
    index("user_created_idx").on(table.createdAt),
  ],
);
