// Maintenance job, the billing half: overage reported to Stripe meters (SEC-81), and dunning
// (grace periods that ended, paid periods of deleted subscriptions that ended).
import type { ServiceContext } from "../platform/service-context";
import { reportOverageUsage, type OverageReport } from "../features/billing/overage-meter";
import { enforceBillingDeadlines, type DunningReport } from "../features/billing/dunning-service";

export interface BillingMaintenanceReport {
  overage: OverageReport;
  dunning: DunningReport;
}

export async function maintainBilling(ctx: ServiceContext, now = Date.now()): Promise<BillingMaintenanceReport> {
  // Deadlines first: an organization downgraded now is billed the overage it already used.
  const dunning = await enforceBillingDeadlines(ctx, now);
  const overage = await reportOverageUsage(ctx, now);
  return { overage, dunning };
}
