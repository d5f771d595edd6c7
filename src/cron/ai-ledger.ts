// Maintenance job, the "enforcing AI caps" half (SEC-52): reclaims expired reservations (a worker
// died, or its settlement kept failing) by charging their reserved estimate, rolls allotment
// periods over, and reconciles the counters with llm_usage_log, logging and repairing drift.
//
// Reclaim settles through the same compare-and-set as a live settlement, so a late settlement
// racing the reclaim is charged once: whichever stamps the reservation first.
import type { ServiceContext } from "../platform/service-context";
import { summarizeError } from "../db/error-summary";
import { logEvent } from "../lib/log";
import { DAY_MS } from "../lib/time";
import { calendarMonthOf } from "../features/plans/period";
import { findModelPrice } from "../features/ai/account-repo";
import {
  loadLedgerPolicy,
  settleAIReservation,
  type AIPrice,
  type LedgerPolicy,
  type SettlementOutcome,
} from "../features/ai/ledger";
import {
  findCreditDrift,
  listExpiredReservations,
  repairDrift,
  rollOverPeriods,
} from "../features/ai/maintenance-repo";

const AI_RECLAIM_BATCH = 100;
const AI_RECLAIM_MAX_BATCHES = 5;
const ROLLOVER_LIMIT = 1000;
const DRIFT_LIMIT = 200;
/**
 * The drift repair checks the accounts written in this window (repairDrift says why that is
 * enough): a day covers the 15-minute cron's previous runs many times over, so runs that failed or
 * were skipped for up to a day still leave no written account unchecked.
 */
const DRIFT_WINDOW_MS = DAY_MS;

export interface AILedgerReport {
  reservations_reclaimed: number;
  tokens_reclaimed: number;
  /** Reservations the cron found settled by a late settlement before it could: charged once. */
  reclaims_lost_to_settlement: number;
  periods_rolled_over: number;
  accounts_repaired: number;
  credit_balances_drifted: number;
  /** True when expired reservations were left for the next run. */
  incomplete: boolean;
}

/** Free when a model lost its price after the call: the tokens still count against the cap. */
const UNPRICED: AIPrice = { inputUSDPerMillion: 0, outputUSDPerMillion: 0 };

async function reclaimExpired(ctx: ServiceContext, now: number, report: AILedgerReport): Promise<void> {
  const { db } = ctx;
  const policies = new Map<string, Promise<LedgerPolicy>>();
  const prices = new Map<string, Promise<AIPrice>>();
  for (let batch = 0; batch < AI_RECLAIM_MAX_BATCHES; batch++) {
    const expired = await listExpiredReservations(db, now, AI_RECLAIM_BATCH);
    for (const reservation of expired) {
      let policy = policies.get(reservation.organizationId);
      if (!policy) {
        policy = loadLedgerPolicy(ctx, reservation.organizationId, now);
        policies.set(reservation.organizationId, policy);
      }
      const priceKey = `${reservation.provider}\u0000${reservation.model}`;
      let price = prices.get(priceKey);
      if (!price) {
        price = findModelPrice(db, reservation.provider, reservation.model).then((row) => row ?? UNPRICED);
        prices.set(priceKey, price);
      }
      // The call's real usage is unknown: charge the whole reserved worst case, priced as output
      // (the dearer side), and say so in the log and on the usage rows (reclaimed = true).
      let outcome: SettlementOutcome;
      try {
        outcome = await settleAIReservation(
          ctx,
          reservation,
          { inputTokens: 0, outputTokens: reservation.tokens },
          { price: await price, policy: await policy, isReclaimed: true, now },
        );
      } catch (error) {
        // Left open for the next run; the rest of the batch still gets reclaimed.
        logEvent("error", "ai_reclaim_failed", {
          reservation_id: reservation.id,
          ...summarizeError(error),
        });
        report.incomplete = true;
        continue;
      }
      if (!outcome.isSettled) {
        report.reclaims_lost_to_settlement++;
        continue;
      }
      report.reservations_reclaimed++;
      report.tokens_reclaimed += outcome.chargedTokens;
      logEvent("warn", "ai_reservation_reclaimed", {
        reservation_id: reservation.id,
        organization_id: reservation.organizationId,
        user_id: reservation.userId,
        model: reservation.model,
        reserved_tokens: reservation.tokens,
        charged_tokens: outcome.chargedTokens,
        absorbed_tokens: outcome.absorbedTokens,
        expired_at: new Date(reservation.expiresAt).toISOString(),
      });
    }
    if (expired.length < AI_RECLAIM_BATCH) return;
  }
  report.incomplete = true;
}

export async function maintainAILedger(ctx: ServiceContext, options: { now?: number } = {}): Promise<AILedgerReport> {
  const { db } = ctx;
  const now = options.now ?? Date.now();
  const report: AILedgerReport = {
    reservations_reclaimed: 0,
    tokens_reclaimed: 0,
    reclaims_lost_to_settlement: 0,
    periods_rolled_over: 0,
    accounts_repaired: 0,
    credit_balances_drifted: 0,
    incomplete: false,
  };
  await reclaimExpired(ctx, now, report);
  report.periods_rolled_over = await rollOverPeriods(db, now, calendarMonthOf(now).start, ROLLOVER_LIMIT);

  for (const drift of await repairDrift(db, now - DRIFT_WINDOW_MS, DRIFT_LIMIT)) {
    report.accounts_repaired++;
    logEvent("error", "ai_ledger_drift_repaired", { ...drift });
  }
  for (const drift of await findCreditDrift(db, DRIFT_LIMIT)) {
    report.credit_balances_drifted++;
    logEvent("error", "ai_credit_balance_drift", { ...drift });
  }
  return report;
}
