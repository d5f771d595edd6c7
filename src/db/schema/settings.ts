// Stored setting values; which keys exist, their types and defaults are declared in code.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, primaryKey, check } from "drizzle-orm/sqlite-core";

export const SETTING_SCOPES = ["user", "organization", "system"] as const;
export type SettingScope = (typeof SETTING_SCOPES)[number];

export const settings = sqliteTable(
  "setting",
  {
    scope: text("scope", { enum: SETTING_SCOPES }).notNull(),
    /** The user or organization id; "" for system settings. */
    scopeId: text("scope_id").notNull(),
    key: text("key").notNull(),
    value: text("value", { mode: "json" }).notNull(),
    updatedAt: integer("updated_at").notNull(),
    updatedByUserId: text("updated_by_user_id"),
  },
  (table) => [
    primaryKey({ columns: [table.scope, table.scopeId, table.key] }),
    check("setting_scope_check", sql`scope IN ('user', 'organization', 'system')`),
  ],
);
