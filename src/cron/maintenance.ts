// The one maintenance job, shared by the Cron Trigger and POST /cron/run.
import type { Env } from "../env";
import { type Config, requireConfig } from "../config";
import { createDB, type Database } from "../db/client";
import { createQuotaMeter } from "../features/plans/quota";
import { logEvent } from "../lib/log";
import { publishOutbox, type PublishReport } from "../platform/outbox";
import { createServiceContext } from "../platform/service-context";
import { pruneExpired, type PruneReport } from "./prune-expired";
import { maintainAILedger, type AILedgerReport } from "./ai-ledger";
import { maintainBilling, type BillingMaintenanceReport } from "./billing";
import { enforceRetention, type RetentionReport } from "./retention";

export interface MaintenanceReport {
  prune: PruneReport;
  ai: AILedgerReport;
  billing: BillingMaintenanceReport;
  /** null when a retention setting is invalid: logged, and the rest of the job still runs. */
  retention: RetentionReport | null;
  /** Webhook events a request's producer step left behind (its Worker died), moved to the Queue now. */
  webhooks: PublishReport;
  duration_ms: number;
}

export async function runMaintenance(env: Env, trigger: string): Promise<MaintenanceReport> {
  const config = requireConfig(env);
  const started = Date.now();
  const db = createDB(env.DB);
  const prune = await pruneExpired(db, { sessionRetentionDays: config.session.retentionDays });
  const ctx = createServiceContext({
    env,
    db,
    config,
    providers: { createQuotaMeter },
    ip: null,
    userAgent: null,
    // The job awaits its own work; a task it defers runs now, and its failure is logged, never thrown.
    defer(task) {
      void task().catch((error: unknown) =>
        logEvent("error", "deferred_task_failed", { trigger, error: String(error) }),
      );
    },
  });
  const ai = await maintainAILedger(ctx);
  // After the ledger: overage its reclaim just charged is reported in the same run.
  const billing = await maintainBilling(ctx);
  // After the ledger: its reclaim settles the expired reservations retention may then delete.
  const retention = await enforceConfiguredRetention(db, config, trigger);
  const webhooks = await publishOutbox(db, env.WEBHOOK_QUEUE);
  const report = { prune, ai, billing, retention, webhooks, duration_ms: Date.now() - started };
  logEvent("info", "maintenance_completed", { trigger, ...report });
  return report;
}

async function enforceConfiguredRetention(
  db: Database,
  config: Config,
  trigger: string,
): Promise<RetentionReport | null> {
  if ("problems" in config.retention) {
    // A wrong window must never prune more than asked: nothing is deleted until it is fixed.
    logEvent("error", "retention_misconfigured", { trigger, settings: config.retention.problems });
    return null;
  }
  return enforceRetention(db, config.retention.config);
}
