// Security events (SEC-49), scoped to the organization they happened in when there is one.
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const auditLog = sqliteTable(
  "audit_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    organizationId: text("organization_id"),
    actorUserId: text("actor_user_id"),
    target: text("target"),
    action: text("action").notNull(),
    ip: text("ip"),
    details: text("details", { mode: "json" }).$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [
    index("audit_log_org_created_idx").on(table.organizationId, table.createdAt),
    index("audit_log_created_idx").on(table.createdAt),
    // The account export and erasure find the events a user did or underwent without a scan.
    index("audit_log_actor_idx").on(table.actorUserId),
    index("audit_log_target_idx").on(table.target),
  ],
);
