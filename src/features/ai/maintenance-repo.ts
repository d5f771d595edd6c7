// The statements the cron runs on the ledger: expired reservations, period roll-over and the
// reconciliation of counters against the usage log. Each is bounded (D1: 30 s per query).
import { d1Of, type Database } from "../../db/client";
import type { ReservationRow } from "./ledger-repo";

/** Unsettled reservations past their expiry, oldest first. */
export async function listExpiredReservations(db: Database, now: number, limit: number): Promise<ReservationRow[]> {
  const { results } = await d1Of(db)
    .prepare(
      `SELECT id, organization_id, user_id, tokens, provider, model, created_at, expires_at
         FROM ai_reservation WHERE settled_at IS NULL AND expires_at <= ?1
        ORDER BY expires_at LIMIT ?2`,
    )
    .bind(now, limit)
    .all<{
      id: string;
      organization_id: string;
      user_id: string | null;
      tokens: number;
      provider: string;
      model: string;
      created_at: number;
      expires_at: number;
    }>();
  return results.map((row) => ({
    id: row.id,
    organizationId: row.organization_id,
    userId: row.user_id,
    tokens: row.tokens,
    provider: row.provider,
    model: row.model,
    createdAt: row.created_at,
    expiresAt: row.expires_at,
  }));
}

/**
 * The period an organization is metered in, in SQL: the same rule as currentBillingPeriod
 * (features/plans/period.ts) — its subscription period while `now` is inside it, else the
 * calendar month. ?1 = now, ?2 = the calendar month's start.
 */
const CURRENT_PERIOD_START = `(SELECT CASE
    WHEN o.current_period_start IS NOT NULL AND o.current_period_end IS NOT NULL
     AND o.current_period_start <= ?1 AND ?1 < o.current_period_end
    THEN o.current_period_start ELSE ?2 END
  FROM organization o WHERE o.id = ai_account.organization_id)`;

/** Rolls accounts whose period has ended into the current one; returns how many rolled. */
export async function rollOverPeriods(
  db: Database,
  now: number,
  calendarMonthStart: number,
  limit: number,
): Promise<number> {
  const { results } = await d1Of(db)
    .prepare(
      `UPDATE ai_account
          SET period_start = ${CURRENT_PERIOD_START}, allotment_used = 0, overage_used = 0, updated_at = ?1
        WHERE organization_id IN (
          SELECT organization_id FROM ai_account WHERE period_start < ${CURRENT_PERIOD_START} LIMIT ?3)
        RETURNING organization_id`,
    )
    .bind(now, calendarMonthStart, limit)
    .all();
  return results.length;
}

/** What the counters must be: sums of this period's usage rows and of the open reservations. */
const EXPECTED = {
  allotment: `(SELECT coalesce(sum(l.tokens), 0) FROM llm_usage_log l
     WHERE l.organization_id = ai_account.organization_id AND l.period_start = ai_account.period_start AND l.bucket = 'allotment')`,
  overage: `(SELECT coalesce(sum(l.tokens), 0) FROM llm_usage_log l
     WHERE l.organization_id = ai_account.organization_id AND l.period_start = ai_account.period_start AND l.bucket = 'overage')`,
  reserved: `(SELECT coalesce(sum(r.tokens), 0) FROM ai_reservation r
     WHERE r.organization_id = ai_account.organization_id AND r.settled_at IS NULL)`,
};

const DRIFTED = `allotment_used <> ${EXPECTED.allotment} OR overage_used <> ${EXPECTED.overage} OR reserved_tokens <> ${EXPECTED.reserved}`;

export interface Drift {
  organization_id: string;
  allotment_used: number;
  allotment_expected: number;
  overage_used: number;
  overage_expected: number;
  reserved_tokens: number;
  reserved_expected: number;
}

/**
 * Finds accounts whose counters differ from the log, then sets them to the sums in one UPDATE
 * whose values are computed at write time (never a value read earlier): a settlement committing
 * in between cannot be overwritten with stale numbers. Returns the drift as it was found.
 */
export async function repairDrift(db: Database, limit: number): Promise<Drift[]> {
  const d1 = d1Of(db);
  const [found] = await d1.batch([
    d1
      .prepare(
        `SELECT organization_id, allotment_used, ${EXPECTED.allotment} AS allotment_expected,
                overage_used, ${EXPECTED.overage} AS overage_expected,
                reserved_tokens, ${EXPECTED.reserved} AS reserved_expected
           FROM ai_account WHERE ${DRIFTED} LIMIT ?1`,
      )
      .bind(limit),
    d1
      .prepare(
        `UPDATE ai_account
            SET allotment_used = ${EXPECTED.allotment}, overage_used = ${EXPECTED.overage}, reserved_tokens = ${EXPECTED.reserved}
          WHERE organization_id IN (SELECT organization_id FROM ai_account WHERE ${DRIFTED} LIMIT ?1)`,
      )
      .bind(limit),
  ]);
  return (found?.results ?? []) as unknown as Drift[];
}

export interface CreditDrift {
  organization_id: string;
  balance: number;
  expected: number;
}

/**
 * Organizations whose credit balance differs from purchases (organization_credit_transaction,
 * written by billing) minus credits charged by the ledger
 * (raw usage rows, and the monthly rollups of the rows the retention job pruned). Reported, not repaired: the balance is
 * shared with billing, and only its owner can say which side is wrong.
 */
export async function findCreditDrift(db: Database, limit: number): Promise<CreditDrift[]> {
  const { results } = await d1Of(db)
    .prepare(
      `SELECT o.id AS organization_id, o.credit_balance_tokens AS balance,
              (SELECT coalesce(sum(t.tokens), 0) FROM organization_credit_transaction t WHERE t.organization_id = o.id)
            - (SELECT coalesce(sum(l.tokens), 0) FROM llm_usage_log l WHERE l.organization_id = o.id AND l.bucket = 'credits')
            - (SELECT coalesce(sum(m.credits_tokens), 0) FROM llm_usage_monthly m WHERE m.organization_id = o.id) AS expected
         FROM organization o JOIN ai_account a ON a.organization_id = o.id
        WHERE o.credit_balance_tokens <> expected
        LIMIT ?1`,
    )
    .bind(limit)
    .all<CreditDrift>();
  return results;
}

/**
 * Deletes up to batchSize reservations settled before the cutoff, oldest first; returns how many.
 * Open reservations are never touched: the reclaim settles them first (SEC-52).
 */
export async function deleteSettledReservationsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  const result = await d1Of(db)
    .prepare(
      `DELETE FROM ai_reservation WHERE id IN (
         SELECT id FROM ai_reservation WHERE settled_at IS NOT NULL AND settled_at < ?1
          ORDER BY settled_at LIMIT ?2)`,
    )
    .bind(cutoff, batchSize)
    .run();
  return result.meta.changes;
}
