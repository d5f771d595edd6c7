// The one maintenance job, shared by the Cron Trigger and POST /cron/run.
import type { Env } from "../env";
import { requireConfig } from "../config";
import { createDB } from "../db/client";
import { createQuotaMeter } from "../features/plans/quota";
import { logEvent } from "../lib/log";
import { createServiceContext } from "../platform/service-context";
import { pruneExpired, type PruneReport } from "./prune-expired";
import { maintainAILedger, type AILedgerReport } from "./ai-ledger";

export interface MaintenanceReport {
  prune: PruneReport;
  ai: AILedgerReport;
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
  const report = { prune, ai, duration_ms: Date.now() - started };
  logEvent("info", "maintenance_completed", { trigger, ...report });
  return report;
}
