// The stub email provider's outbox, read by GET /dev/emails in development only.
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const devEmails = sqliteTable(
  "dev_email",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    recipient: text("recipient").notNull(),
    subject: text("subject").notNull(),
    text: text("text").notNull(),
    links: text("links", { mode: "json" }).$type<string[]>().notNull(),
    createdAt: integer("created_at").notNull(),
  },
  (table) => [index("dev_email_recipient_idx").on(table.recipient, table.id)],
);
