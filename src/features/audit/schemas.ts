// The audit log as the API shows it.
import { z } from "@hono/zod-openapi";
import { pageSchema } from "../../platform/schemas";
import { toISOString } from "../../lib/time";

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    organization_id: z.string().nullable(),
    actor_user_id: z.string().nullable(),
    target: z.string().nullable(),
    action: z.string(),
    ip: z.string().nullable(),
    details: z.record(z.string(), z.unknown()).nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
  })
  .openapi("AuditEntry");

export const AuditPageSchema = pageSchema(AuditEntrySchema, "AuditPage");

export function toAuditEntry(row: {
  id: number;
  organizationId: string | null;
  actorUserId: string | null;
  target: string | null;
  action: string;
  ip: string | null;
  details: Record<string, unknown> | null;
  createdAt: number;
}): z.infer<typeof AuditEntrySchema> {
  return {
    id: row.id,
    organization_id: row.organizationId,
    actor_user_id: row.actorUserId,
    target: row.target,
    action: row.action,
    ip: row.ip,
    details: row.details,
    created_at: toISOString(row.createdAt),
  };
}
