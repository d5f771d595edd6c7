// Maintenance job: deletes sessions, expired pending logins, dev emails and webhook events and
// deliveries past retention, in bounded batches (src/cron/batches.ts). Deleting rows that are already gone is a no-op, so two runs at once are
// safe. The tables with configurable retention are pruned by src/cron/retention.ts.
import type { Database } from "../db/client";
import { deleteExpiredSessionsBatch } from "../platform/sessions/repo";
import { deleteExpiredPendingLoginsBatch } from "../platform/mfa-pending";
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
  mfa_pending_logins_deleted: number;
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
  // A pending login is useless once expired (claimPendingAttempt checks expiry itself).
  const pending = await deleteInBatches((size) => deleteExpiredPendingLoginsBatch(db, now, size));
  const emails = await deleteInBatches((size) => deleteOldDevEmailsBatch(db, now - DEV_EMAIL_RETENTION_MS, size));
  const events = await deleteInBatches((size) => deleteOldWebhookEventsBatch(db, now - WEBHOOK_RETENTION_MS, size));
  const deliveries = await deleteInBatches((size) =>
    deleteOldWebhookDeliveriesBatch(db, now - WEBHOOK_RETENTION_MS, size),
  );
  return {
    sessions_deleted: sessions.deleted,
    mfa_pending_logins_deleted: pending.deleted,
    dev_emails_deleted: emails.deleted,
    webhook_events_deleted: events.deleted,
    webhook_deliveries_deleted: deliveries.deleted,
    incomplete: !(sessions.complete && pending.complete && emails.complete && events.complete && deliveries.complete),
  };
}
