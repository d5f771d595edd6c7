// Accounts. Emails are stored normalized (SEC-32); password_hash is a PHC string or NULL.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { ROLES } from "../../lib/roles";
import { organizations } from "./organizations";

export const users = sqliteTable(
  "user",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    email: text("email").notNull().unique(),
    passwordHash: text("password_hash"),
    firstName: text("first_name"),
    lastName: text("last_name"),
    role: text("role", { enum: ROLES }).notNull(),
    emailVerifiedAt: integer("email_verified_at"),
    suspendedAt: integer("suspended_at"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    index("user_organization_idx").on(table.organizationId),
    // The last-org_admin guard counts admins per organization.
    index("user_organization_role_idx").on(table.organizationId, table.role),
    // GET /admin/stats: signups per day.
    index("user_created_idx").on(table.createdAt),
    check("user_role_check", sql.raw(`role IN (${ROLES.map((role) => `'${role}'`).join(", ")})`)),
  ],
);
