// Billing overage (SEC-81): every llm_usage_log row in the 'overage' bucket becomes one Stripe
// Billing meter event, sent by the maintenance job. Exactly once per row, by two locks:
// - ours: a run claims rows by compare-and-set (meter-repo.ts), reports them, stamps them; a row
//   whose report failed is released for the next run, one whose run died is re-claimed after the
//   lease; a stamped row is never claimed again;
// - Stripe's: the event's identifier is the row id, and Stripe refuses a second event with an
//   identifier it has (for at least 24 h), so a report that reached Stripe but whose answer was
//   lost is not counted twice when the next run sends it again.
// https://docs.stripe.com/billing/subscriptions/usage-based/recording-usage-api
import type Stripe from "stripe";
import type { MeterConfig } from "../../config/billing";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";
import { type ClaimedOverageRow, claimOverageRows, markOverageRows, releaseOverageRows } from "./meter-repo";
import { findStripeClient, loadStripe } from "./stripe-client";

/** Rows per claim, and claims per run: at most 500 Stripe calls per run (Workers' subrequest limit is 1,000). */
const METER_BATCH = 100;
const METER_MAX_BATCHES = 5;
/** Requests in flight at once (Workers allow 6 open connections per invocation). */
const METER_CONCURRENCY = 6;
/** A claim older than this belongs to a run that died: longer than any run (cron: 15 min). */
const METER_LEASE_MS = 60 * 60 * 1000;

/** The identifier Stripe deduplicates on: the row id, namespaced so no other sender can collide. */
export function meterEventIdentifier(rowId: number): string {
  return `rampart_llm_usage_${rowId}`;
}

export interface OverageReport {
  /** False: metering is off (STRIPE_METER_EVENT_NAME or STRIPE_SECRET_KEY unset). */
  enabled: boolean;
  reported: number;
  tokens: number;
  /** Refused by Stripe for good (an old timestamp, a payload the meter rejects): logged, not retried. */
  rejected: number;
  /** Failed this run (Stripe down, rate limited): released, retried by the next run. */
  failed: number;
  /** True when unreported rows were left for the next run. */
  incomplete: boolean;
}

type Outcome = "reported" | "rejected" | "failed";

async function sendMeterEvent(stripe: Stripe, meter: MeterConfig, row: ClaimedOverageRow): Promise<Outcome> {
  try {
    await stripe.billing.meterEvents.create({
      event_name: meter.eventName,
      identifier: meterEventIdentifier(row.id),
      timestamp: Math.floor(row.createdAt / 1000),
      payload: { [meter.customerKey]: row.stripeCustomerId, [meter.valueKey]: String(row.tokens) },
    });
    return "reported";
  } catch (error) {
    const Stripe = await loadStripe();
    const fields = {
      usage_row_id: row.id,
      organization_id: row.organizationId,
      ...(error instanceof Stripe.errors.StripeError
        ? { type: error.type, status: error.statusCode ?? null, code: error.code ?? null, message: error.message }
        : { error: String(error) }),
    };
    // 400 on the identifier: Stripe already has this event (an earlier report whose answer was
    // lost reached it). Counted as reported, and said so.
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.param === "identifier") {
      logEvent("info", "meter_event_already_reported", fields);
      return "reported";
    }
    // Any other 400: Stripe will never take this event (too old, a payload the meter refuses).
    if (error instanceof Stripe.errors.StripeInvalidRequestError && error.statusCode === 400) {
      logEvent("error", "meter_event_rejected", fields);
      return "rejected";
    }
    logEvent("warn", "meter_event_failed", fields);
    return "failed";
  }
}

async function reportBatch(
  ctx: ServiceContext,
  stripe: Stripe,
  meter: MeterConfig,
  rows: ClaimedOverageRow[],
  claim: string,
  report: OverageReport,
): Promise<void> {
  const outcomes: Outcome[] = [];
  for (let start = 0; start < rows.length; start += METER_CONCURRENCY) {
    const chunk = rows.slice(start, start + METER_CONCURRENCY);
    outcomes.push(...(await Promise.all(chunk.map((row) => sendMeterEvent(stripe, meter, row)))));
  }
  const idsOf = (outcome: Outcome) => rows.filter((_, index) => outcomes[index] === outcome).map((row) => row.id);
  const now = Date.now();
  const reported = await markOverageRows(ctx.db, { ids: idsOf("reported"), claim, now, outcome: "reported" });
  const rejected = await markOverageRows(ctx.db, { ids: idsOf("rejected"), claim, now, outcome: "rejected" });
  const failed = idsOf("failed");
  await releaseOverageRows(ctx.db, { ids: failed, claim });
  report.reported += reported;
  report.tokens += rows.filter((_, index) => outcomes[index] === "reported").reduce((sum, row) => sum + row.tokens, 0);
  report.rejected += rejected;
  report.failed += failed.length;
}

/** The maintenance job's metering step: reports unreported overage rows, bounded per run. */
export async function reportOverageUsage(ctx: ServiceContext, now = Date.now()): Promise<OverageReport> {
  const report: OverageReport = { enabled: false, reported: 0, tokens: 0, rejected: 0, failed: 0, incomplete: false };
  const meter = "problems" in ctx.config.billing ? null : ctx.config.billing.config.meter;
  const stripe = await findStripeClient(ctx.config);
  if (!meter || !stripe) return report;
  report.enabled = true;
  const claim = `mr_${crypto.randomUUID()}`;
  for (let batch = 0; batch < METER_MAX_BATCHES; batch++) {
    const rows = await claimOverageRows(ctx.db, {
      claim,
      now,
      leaseCutoff: now - METER_LEASE_MS,
      limit: METER_BATCH,
    });
    if (rows.length > 0) await reportBatch(ctx, stripe, meter, rows, claim, report);
    // A failed batch usually means Stripe is down: stop, the next run retries.
    if (rows.length < METER_BATCH || report.failed > 0) {
      report.incomplete = report.failed > 0;
      return report;
    }
  }
  report.incomplete = true;
  return report;
}
