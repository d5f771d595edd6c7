// Who belongs to which organization, with one role in each (docs/organizations.md).
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check, primaryKey } from "drizzle-orm/sqlite-core";
import { ASSIGNABLE_ROLES } from "../../lib/roles";
import { organizations } from "./organizations";
import { users } from "./users";

export const memberships = sqliteTable(
  "membership",
  {
    userId: text("user_id")
      .notNull()
      .references(() => users.id, { onDelete: "cascade" }),
    // No cascade from organization: deleting an organization that still has members fails, so an
    // account deletion that empties one cannot take a member who joined meanwhile with it.
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    role: text("role", { enum: ASSIGNABLE_ROLES }).notNull(),
    createdAt: integer("created_at").notNull(),
    /** Set when a session makes this organization active; sign-in picks the most recent one. */
    lastActiveAt: integer("last_active_at").notNull(),
  },
  (table) => [
    // One membership per pair; the per-request read looks it up by this key (SEC-24, SEC-77).
    primaryKey({ columns: [table.userId, table.organizationId] }),
    // Member listings, and the last-org_admin guard that counts admins per organization.
    index("membership_organization_role_idx").on(table.organizationId, table.role),
    // sys_admin is a user attribute, never a membership role (SEC-34).
    check("membership_role_check", sql.raw(`role IN (${ASSIGNABLE_ROLES.map((role) => `'${role}'`).join(", ")})`)),
  ],
);
