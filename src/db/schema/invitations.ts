// Invitations to join an organization (SEC-26, SEC-38): bound to one email and one organization.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, check } from "drizzle-orm/sqlite-core";
import { ASSIGNABLE_ROLES } from "../../lib/roles";
import { organizations } from "./organizations";

export const invitations = sqliteTable(
  "invitation",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    email: text("email").notNull(),
    role: text("role", { enum: ASSIGNABLE_ROLES }).notNull(),
    tokenHash: text("token_hash").notNull().unique(),
    invitedByUserId: text("invited_by_user_id"),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    acceptedAt: integer("accepted_at"),
    revokedAt: integer("revoked_at"),
  },
  (table) => [
    index("invitation_org_idx").on(table.organizationId, table.createdAt),
    index("invitation_email_idx").on(table.email),
    index("invitation_expires_idx").on(table.expiresAt),
    // SEC-62: an inviter's pending invitations, revoked when they are removed, demoted or suspended.
    index("invitation_inviter_pending_idx")
      .on(table.invitedByUserId)
      .where(sql`accepted_at IS NULL AND revoked_at IS NULL`),
    // sys_admin is never granted by invitation.
    check("invitation_role_check", sql`role IN ('readonly', 'member', 'org_admin')`),
  ],
);
