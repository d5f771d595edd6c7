// Reads of the audit log: one organization's (org_admin) or everyone's (sys_admin), newest first.
import { desc, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { auditLog } from "../../db/schema";
import type { PageRequest } from "../../lib/pagination";

export function listAuditEntries(db: Database, page: PageRequest, options: { organizationId?: string } = {}) {
  return db
    .select()
    .from(auditLog)
    .where(options.organizationId === undefined ? undefined : eq(auditLog.organizationId, options.organizationId))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(page.limit + 1)
    .offset(page.offset);
}
