// Maintenance job: deletes sessions and email tokens past retention, in bounded batches.
//
// D1 caps a query at 30 s and 100 bound parameters, so each DELETE removes at most BATCH_SIZE
// rows chosen by an indexed subquery (no id lists are bound), and a run stops after MAX_BATCHES.
// Deleting rows that are already gone is a no-op, so two runs at once are safe.
import type { Database } from "../db/client";
import { deleteExpiredSessionsBatch } from "../platform/sessions/repo";
import { deleteStaleTokensBatch } from "../features/auth/email-token-repo";
import { deleteOldDevEmailsBatch } from "../email/stub";
import { DAY_MS } from "../lib/time";

export const PRUNE_BATCH_SIZE = 500;
const PRUNE_MAX_BATCHES = 40;
const TOKEN_RETENTION_MS = 7 * DAY_MS;
const DEV_EMAIL_RETENTION_MS = 7 * DAY_MS;

export interface PruneReport {
  sessions_deleted: number;
  email_tokens_deleted: number;
  dev_emails_deleted: number;
  /** True when a table still had rows to delete when the batch budget ran out. */
  incomplete: boolean;
}

async function deleteInBatches(
  deleteBatch: (batchSize: number) => Promise<number>,
): Promise<{ deleted: number; complete: boolean }> {
  let deleted = 0;
  for (let batch = 0; batch < PRUNE_MAX_BATCHES; batch++) {
    const count = await deleteBatch(PRUNE_BATCH_SIZE);
    deleted += count;
    if (count < PRUNE_BATCH_SIZE) return { deleted, complete: true };
  }
  return { deleted, complete: false };
}

export async function pruneExpired(
  db: Database,
  options: { sessionRetentionDays: number; now?: number },
): Promise<PruneReport> {
  const now = options.now ?? Date.now();
  const sessions = await deleteInBatches((size) =>
    deleteExpiredSessionsBatch(db, now - options.sessionRetentionDays * DAY_MS, size),
  );
  const tokens = await deleteInBatches((size) => deleteStaleTokensBatch(db, now - TOKEN_RETENTION_MS, size));
  const emails = await deleteInBatches((size) => deleteOldDevEmailsBatch(db, now - DEV_EMAIL_RETENTION_MS, size));
  return {
    sessions_deleted: sessions.deleted,
    email_tokens_deleted: tokens.deleted,
    dev_emails_deleted: emails.deleted,
    incomplete: !(sessions.complete && tokens.complete && emails.complete),
  };
}
