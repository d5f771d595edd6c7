// Usage alerts: when an organization's charged allotment reaches 80 % and 100 % of its plan's
// token_limit, its org_admins get an email and its webhook endpoints a usage.threshold_reached
// event, once per period each. "Once" is a compare-and-set on ai_account (the period the alert
// went out for), and the outbox event is inserted in the same batch, only if that CAS won. That
// batch is the settlement's own (one round trip to the primary for both).
import { sql } from "drizzle-orm";
import { aiAccounts } from "../../db/schema";
import { d1Of } from "../../db/client";
import { toD1Statement } from "../../db/sql-fragments";
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { notifyOrgAdmins } from "../billing/admin-notices";
import { UNLIMITED } from "../plans/features";
import { type LedgerPolicy, type SettlementAttempt, settledBucketSQL } from "./ledger";

const USAGE_THRESHOLDS = [80, 100] as const;
type Threshold = (typeof USAGE_THRESHOLDS)[number];

const COLUMN = { 80: aiAccounts.alert80PeriodStart, 100: aiAccounts.alert100PeriodStart } as const;

/**
 * Stamps the threshold for the account's current period if its allotment use has reached it, it
 * was not stamped for this period yet, and the settlement attempt it follows charged the allotment.
 * Returns the period when this call stamped it.
 */
function buildThresholdClaim(
  ctx: ServiceContext,
  organizationId: string,
  threshold: Threshold,
  tokenLimit: number,
  attempt: SettlementAttempt,
) {
  const column = COLUMN[threshold];
  return ctx.db
    .update(aiAccounts)
    .set({ [threshold === 80 ? "alert80PeriodStart" : "alert100PeriodStart"]: sql`${aiAccounts.periodStart}` })
    .where(
      sql`${aiAccounts.organizationId} = ${organizationId}
          AND (${column} IS NULL OR ${column} < ${aiAccounts.periodStart})
          AND ${aiAccounts.allotmentUsed} * 100 >= ${threshold} * CAST(${tokenLimit} AS INTEGER)
          AND ${settledBucketSQL(attempt, "allotment")}`,
    )
    .returning({ periodStart: aiAccounts.periodStart, used: aiAccounts.allotmentUsed });
}

function describeThreshold(organizationId: string, threshold: Threshold, tokenLimit: number): AuditEvent {
  return {
    action: "usage_threshold_reached",
    organizationId,
    actorUserId: null,
    target: `${threshold}%`,
    ip: null,
    details: { threshold_percent: threshold, token_limit: tokenLimit },
  };
}

/**
 * Both thresholds' claims, each with its outbox event and audit row (inserted only if the claim
 * won), appended to the settlement's own batch (SettleOptions.followUps): the alert costs no round
 * trip of its own, and an attempt that lost its CAS or charged no allotment claims nothing. None
 * for an unlimited or zero allotment. `policy` is the one the call was reserved under.
 */
export function buildUsageThresholdStatements(
  ctx: ServiceContext,
  organizationId: string,
  policy: LedgerPolicy,
  attempt: SettlementAttempt,
): D1PreparedStatement[] {
  const tokenLimit = policy.limits.tokenLimit;
  if (tokenLimit === UNLIMITED || tokenLimit <= 0) return [];
  const d1 = d1Of(ctx.db);
  return USAGE_THRESHOLDS.flatMap((threshold) => [
    toD1Statement(d1, buildThresholdClaim(ctx, organizationId, threshold, tokenLimit, attempt)),
    toD1Statement(
      d1,
      eventStatementIfChanged(ctx.db, {
        organizationId,
        type: "usage.threshold_reached",
        data: { threshold_percent: threshold, token_limit: tokenLimit },
      }),
    ),
    toD1Statement(d1, buildAuditInsertIfChanged(ctx, describeThreshold(organizationId, threshold, tokenLimit))),
  ]);
}

/**
 * After the settlement's batch: the thresholds its claims stamped (from buildUsageThresholdStatements'
 * results, in order) are logged, their events published and the org_admins emailed, after the
 * response. Never throws: an email that fails is logged, and the settlement stands.
 */
export function announceUsageThresholds(
  ctx: ServiceContext,
  organizationId: string,
  policy: LedgerPolicy,
  results: readonly D1Result[],
): Threshold[] {
  const tokenLimit = policy.limits.tokenLimit;
  const crossed = USAGE_THRESHOLDS.filter((_, index) => (results[index * 3]?.results.length ?? 0) > 0);
  if (crossed.length === 0) return [];
  publishEventsLater(ctx);
  for (const threshold of crossed) logAuditEvent(describeThreshold(organizationId, threshold, tokenLimit));
  ctx.defer(async () => {
    for (const threshold of crossed) {
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
  });
  return crossed;
}
