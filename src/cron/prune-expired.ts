// Maintenance job: deletes sessions, dev emails and webhook events and deliveries past retention, in bounded batches
// (src/cron/batches.ts). Deleting rows that are already gone is a no-op, so two runs at once are
// safe. The tables with configurable retention are pruned by src/cron/retention.ts.
import type { Database } from "../db/client";
import { deleteExpiredSessionsBatch } from "../platform/sessions/repo";
import { deleteOldDevEmailsBatch } from "../email/stub";
import { DAY_MS } from "../lib/time";
import { deleteInBatches } from "./batches";
import {
  deleteOldWebhookDeliveriesBatch,
  deleteOldWebhookEventsBatch,
  WEBHOOK_RETENTION_MS,
} from "../features/webhooks/prune";

const DEV_EMAIL_RETENTION_MS = 7 * DAY_MS;

export interface PruneReport {
  sessions_deleted: number;
  dev_emails_deleted: number;
  webhook_events_deleted: number;
  webhook_deliveries_deleted: number;
  /** True when a table still had rows to delete when the batch budget ran out. */
  incomplete: boolean;
}

export async function pruneExpired(
  db: Database,
  options: { sessionRetentionDays: number; now?: number },
): Promise<PruneReport> {
  const now = options.now ?? Date.now();
  const sessions = await deleteInBatches((size) =>
    deleteExpiredSessionsBatch(db, now - options.sessionRetentionDays * DAY_MS, size),
  );
  const emails = await deleteInBatches((size) => deleteOldDevEmailsBatch(db, now - DEV_EMAIL_RETENTION_MS, size));
  const events = await deleteInBatches((size) => deleteOldWebhookEventsBatch(db, now - WEBHOOK_RETENTION_MS, size));
  const deliveries = await deleteInBatches((size) =>
    deleteOldWebhookDeliveriesBatch(db, now - WEBHOOK_RETENTION_MS, size),
  );
  return {
    sessions_deleted: sessions.deleted,
    dev_emails_deleted: emails.deleted,
    webhook_events_deleted: events.deleted,
    webhook_deliveries_deleted: deliveries.deleted,
    incomplete: !(sessions.complete && emails.complete && events.complete && deliveries.complete),
  };
}
