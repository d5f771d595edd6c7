// Usage alerts: when an organization's charged allotment reaches 80 % and 100 % of its plan's
// token_limit, its org_admins get an email and its webhook endpoints a usage.threshold_reached
// event, once per period each. "Once" is a compare-and-set on ai_account (the period the alert
// went out for), and the outbox event is inserted in the same batch, only if that CAS won.
import { sql } from "drizzle-orm";
import { aiAccounts } from "../../db/schema";
import { summarizeError } from "../../db/error-summary";
import { logEvent } from "../../lib/log";
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { notifyOrgAdmins } from "../billing/admin-notices";
import { UNLIMITED } from "../plans/features";
import type { LedgerPolicy } from "./ledger";

const USAGE_THRESHOLDS = [80, 100] as const;
type Threshold = (typeof USAGE_THRESHOLDS)[number];

const COLUMN = { 80: aiAccounts.alert80PeriodStart, 100: aiAccounts.alert100PeriodStart } as const;

/**
 * Stamps the threshold for the account's current period if its allotment use has reached it and
 * it was not stamped for this period yet. Returns the period when this call stamped it.
 */
function buildThresholdClaim(ctx: ServiceContext, organizationId: string, threshold: Threshold, tokenLimit: number) {
  const column = COLUMN[threshold];
  return ctx.db
    .update(aiAccounts)
    .set({ [threshold === 80 ? "alert80PeriodStart" : "alert100PeriodStart"]: sql`${aiAccounts.periodStart}` })
    .where(
      sql`${aiAccounts.organizationId} = ${organizationId}
          AND (${column} IS NULL OR ${column} < ${aiAccounts.periodStart})
          AND ${aiAccounts.allotmentUsed} * 100 >= ${threshold} * CAST(${tokenLimit} AS INTEGER)`,
    )
    .returning({ periodStart: aiAccounts.periodStart, used: aiAccounts.allotmentUsed });
}

/**
 * Checks both thresholds after a settlement charged the allotment; sends what was crossed. Never
 * throws: an alert that fails is logged, and the settlement it follows stands.
 */
export async function recordUsageThresholds(
  ctx: ServiceContext,
  organizationId: string,
  policy: LedgerPolicy,
): Promise<Threshold[]> {
  const tokenLimit = policy.limits.tokenLimit;
  if (tokenLimit === UNLIMITED || tokenLimit <= 0) return [];
  try {
    const auditOf = (threshold: Threshold): AuditEvent => ({
      action: "usage_threshold_reached",
      organizationId,
      actorUserId: null,
      target: `${threshold}%`,
      ip: null,
      details: { threshold_percent: threshold, token_limit: tokenLimit },
    });
    const results = await ctx.db.batch([
      buildThresholdClaim(ctx, organizationId, 80, tokenLimit),
      eventStatementIfChanged(ctx.db, {
        organizationId,
        type: "usage.threshold_reached",
        data: { threshold_percent: 80, token_limit: tokenLimit },
      }),
      buildAuditInsertIfChanged(ctx, auditOf(80)),
      buildThresholdClaim(ctx, organizationId, 100, tokenLimit),
      eventStatementIfChanged(ctx.db, {
        organizationId,
        type: "usage.threshold_reached",
        data: { threshold_percent: 100, token_limit: tokenLimit },
      }),
      buildAuditInsertIfChanged(ctx, auditOf(100)),
    ]);
    const crossed = USAGE_THRESHOLDS.filter((_, index) => (results[index * 3] as unknown[]).length > 0);
    if (crossed.length === 0) return [];
    publishEventsLater(ctx);
    for (const threshold of crossed) {
      logAuditEvent(auditOf(threshold));
      await notifyOrgAdmins(ctx, organizationId, {
        kind: `usage_threshold_${threshold}`,
        subject:
          threshold === 100
            ? "Your organization has used its whole AI allotment"
            : "Your organization has used 80 % of its AI allotment",
        text:
          threshold === 100
            ? "Your organization has used all of this period's AI allotment. Calls now draw on credits and " +
              "allowed overage, if any; without them they are refused until the next period."
            : "Your organization has used 80 % of this period's AI allotment.",
      });
    }
    return crossed;
  } catch (error) {
    logEvent("error", "usage_alert_failed", { organization_id: organizationId, ...summarizeError(error) });
    return [];
  }
}
