// The sample org-scoped resource. Every query filters by (organization_id, id) (SEC-36).
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";
import { organizations } from "./organizations";
import { users } from "./users";

export const notes = sqliteTable(
  "note",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    createdByUserId: text("created_by_user_id").references(() => users.id, { onDelete: "set null" }),
    title: text("title").notNull(),
    content: text("content").notNull(),
    /**
     * The start of the billing period whose max_notes counter this note took a unit of, so a
     * deletion gives it back to that period (SEC-60). Null for notes created before it was
     * recorded and not matched to a counter: their deletion gives nothing back.
     */
    quotaPeriodStart: integer("quota_period_start"),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [
    index("note_org_created_idx").on(table.organizationId, table.createdAt),
    // The account export pages a user's notes; deleting a user nulls their authorship (SET NULL).
    index("note_author_idx").on(table.createdByUserId, table.id),
  ],
);
