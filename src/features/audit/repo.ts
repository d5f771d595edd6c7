// Reads of the audit log: one organization's (org_admin) or everyone's (sys_admin), newest first.
import { desc, eq, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { auditLog } from "../../db/schema";
import type { PageRequest } from "../../lib/pagination";
import { deleteRowsBatch } from "../../db/delete-batch";

export function listAuditEntries(db: Database, page: PageRequest, options: { organizationId?: string } = {}) {
  return db
    .select()
    .from(auditLog)
    .where(options.organizationId === undefined ? undefined : eq(auditLog.organizationId, options.organizationId))
    .orderBy(desc(auditLog.createdAt), desc(auditLog.id))
    .limit(page.limit + 1)
    .offset(page.offset);
}

/** Deletes up to batchSize audit rows created before the cutoff, oldest first; returns how many. */
export async function deleteOldAuditBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  const { id, createdAt } = auditLog;
  return deleteRowsBatch(db, { table: auditLog, id, where: lt(createdAt, cutoff), oldestFirst: createdAt }, batchSize);
}
