// Maintenance job, the "bounded growth" half (issue 17): every growing table keeps its rows for
// its configured window (src/config/retention.ts) and the job deletes older ones in bounded
// batches (src/cron/batches.ts), oldest first, on an index. llm_usage_log rows are first summed
// into llm_usage_monthly, in the same D1 batch as their delete (features/usage/rollup-repo.ts).
//
// Every step deletes rows chosen at statement time, so two runs at once are safe: each batch
// finds what the other has not yet deleted, and a rollup and its delete commit together.
import type { RetentionConfig } from "../config/retention";
import type { Database } from "../db/client";
import { deleteOldAuditBatch } from "../features/audit/repo";
import { deleteStaleTokensBatch } from "../features/auth/email-token-repo";
import { deleteOldStripeEventsBatch } from "../features/billing/stripe-event-repo";
import { deleteSettledReservationsBatch } from "../features/ai/maintenance-repo";
import { deleteStaleInvitationsBatch } from "../features/orgs/invitations-repo";
import { rollUpAndDeleteUsageBatch } from "../features/usage/rollup-repo";
import { DAY_MS } from "../lib/time";
import { deleteInBatches } from "./batches";

export interface RetentionReport {
  usage_rows_rolled_up: number;
  audit_rows_deleted: number;
  stripe_events_deleted: number;
  reservations_deleted: number;
  invitations_deleted: number;
  email_tokens_deleted: number;
  /** True when a table still had rows past its window when its batch budget ran out. */
  incomplete: boolean;
}

type BatchDelete = (db: Database, cutoff: number, batchSize: number) => Promise<number>;

const STEPS: [keyof Omit<RetentionReport, "incomplete">, keyof RetentionConfig, BatchDelete][] = [
  ["usage_rows_rolled_up", "usageLogDays", rollUpAndDeleteUsageBatch],
  ["audit_rows_deleted", "auditLogDays", deleteOldAuditBatch],
  ["stripe_events_deleted", "stripeEventDays", deleteOldStripeEventsBatch],
  ["reservations_deleted", "reservationDays", deleteSettledReservationsBatch],
  ["invitations_deleted", "invitationDays", deleteStaleInvitationsBatch],
  ["email_tokens_deleted", "emailTokenDays", deleteStaleTokensBatch],
];

export async function enforceRetention(
  db: Database,
  retention: RetentionConfig,
  options: { now?: number; batchSize?: number; maxBatches?: number } = {},
): Promise<RetentionReport> {
  const now = options.now ?? Date.now();
  const report: RetentionReport = {
    usage_rows_rolled_up: 0,
    audit_rows_deleted: 0,
    stripe_events_deleted: 0,
    reservations_deleted: 0,
    invitations_deleted: 0,
    email_tokens_deleted: 0,
    incomplete: false,
  };
  for (const [field, setting, deleteBatch] of STEPS) {
    const cutoff = now - retention[setting] * DAY_MS;
    const outcome = await deleteInBatches((size) => deleteBatch(db, cutoff, size), options);
    report[field] = outcome.deleted;
    if (!outcome.complete) report.incomplete = true;
  }
  return report;
}
