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

/**
 * Rolls accounts whose period has ended into the current one; returns how many rolled.
 *
 * Only candidates are checked, each by a seek: accounts still in an earlier calendar month
 * (ai_account_period_idx), and accounts of organizations whose subscription period started this
 * month (organization_period_start_idx). Those are all that can roll: the current period is the
 * calendar month (rolls iff period_start < ?2) or a subscription period that started at S <= now
 * (rolls iff period_start < S; if period_start >= ?2 too, then S is in [?2, now]). Computing the
 * period of every account instead scanned ai_account: ~130 ms at 100k accounts (docs/scaling.md).
 */
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
          SELECT organization_id FROM ai_account
           WHERE organization_id IN (
               SELECT organization_id FROM ai_account WHERE period_start < ?2
               UNION SELECT id FROM organization WHERE current_period_start >= ?2 AND current_period_start <= ?1)
             AND period_start < ${CURRENT_PERIOD_START}
           LIMIT ?3)
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
 * Finds accounts written since `since` whose counters differ from the log, then sets them to the
 * sums in one UPDATE whose values are computed at write time (never a value read earlier): a
 * settlement committing in between cannot be overwritten with stale numbers. Returns the drift as
 * it was found.
 *
 * Only accounts written since `since` (ai_account_updated_idx): every statement that changes the
 * counters or what they are checked against (reserve, settle, the reclaim, the roll-over) stamps
 * updated_at in the same batch, so an account untouched since then cannot have drifted since it
 * was last checked. Checking every account instead read all of them, and their period's usage,
 * on every run when none had drifted (docs/scaling.md).
 */
export async function repairDrift(db: Database, since: number, limit: number): Promise<Drift[]> {
  const d1 = d1Of(db);
  const [found] = await d1.batch([
    d1
      .prepare(
        `SELECT organization_id, allotment_used, ${EXPECTED.allotment} AS allotment_expected,
                overage_used, ${EXPECTED.overage} AS overage_expected,
                reserved_tokens, ${EXPECTED.reserved} AS reserved_expected
           FROM ai_account WHERE updated_at >= ?2 AND (${DRIFTED}) LIMIT ?1`,
      )
      .bind(limit, since),
    d1
      .prepare(
        `UPDATE ai_account
            SET allotment_used = ${EXPECTED.allotment}, overage_used = ${EXPECTED.overage}, reserved_tokens = ${EXPECTED.reserved}
          WHERE organization_id IN (SELECT organization_id FROM ai_account WHERE updated_at >= ?2 AND (${DRIFTED}) LIMIT ?1)`,
      )
      .bind(limit, since),
  ]);
  return (found?.results ?? []) as unknown as Drift[];
}

export interface CreditDrift {
  organization_id: string;
  balance: number;
  expected: number;
}

/**
 * The distinct values of `column` in the rows of `table` matching `where`, by a loose index scan:
 * each step seeks the next value past the previous one, so the cost is one index seek per
 * distinct value, not one step per row (SQLite has no skip scan without ANALYZE statistics).
 * The index must lead with `column` (and be partial on `where`, when there is one).
 */
function distinctByIndex(name: string, table: string, column: string, where: string): string {
  const filter = where ? `${where} AND` : "";
  return `${name}(id) AS (
      SELECT (SELECT min(${column}) FROM ${table} WHERE ${filter} ${column} IS NOT NULL)
      UNION ALL
      SELECT (SELECT min(${column}) FROM ${table} WHERE ${filter} ${column} > ${name}.id)
        FROM ${name} WHERE ${name}.id IS NOT NULL)`;
}

/**
 * Organizations whose credit balance differs from purchases (organization_credit_transaction,
 * written by billing) minus credits charged by the ledger
 * (raw usage rows, and the monthly rollups of the rows the retention job pruned). Reported, not repaired: the balance is
 * shared with billing, and only its owner can say which side is wrong.
 *
 * Only organizations with some credit activity are checked: a non-zero balance, a transaction, or
 * a credit charge raw or rolled up. Any other has a zero balance and zero expected, so cannot
 * drift; the four candidate lists come from indexes (organization_credit_balance_idx,
 * credit_transaction_org_idx, llm_usage_org_credits_idx, llm_usage_monthly_credits_idx), and each
 * candidate's sums are covering seeks. It was a scan of every organization and a sum over every
 * usage row each had logged: 12 s at 100k organizations and 10M usage rows (docs/scaling.md).
 */
export async function findCreditDrift(db: Database, limit: number): Promise<CreditDrift[]> {
  const { results } = await d1Of(db)
    .prepare(
      `WITH RECURSIVE
         ${distinctByIndex("funded", "organization", "id", "credit_balance_tokens <> 0")},
         ${distinctByIndex("purchasers", "organization_credit_transaction", "organization_id", "")},
         ${distinctByIndex("charged", "llm_usage_log", "organization_id", "bucket = 'credits'")},
         ${distinctByIndex("charged_earlier", "llm_usage_monthly", "organization_id", "credits_tokens <> 0")},
         candidates(id) AS (
           SELECT id FROM funded WHERE id IS NOT NULL
           UNION SELECT id FROM purchasers WHERE id IS NOT NULL
           UNION SELECT id FROM charged WHERE id IS NOT NULL
           UNION SELECT id FROM charged_earlier WHERE id IS NOT NULL)
       SELECT o.id AS organization_id, o.credit_balance_tokens AS balance,
              (SELECT coalesce(sum(t.tokens), 0) FROM organization_credit_transaction t WHERE t.organization_id = o.id)
            - (SELECT coalesce(sum(l.tokens), 0) FROM llm_usage_log l WHERE l.organization_id = o.id AND l.bucket = 'credits')
            - (SELECT coalesce(sum(m.credits_tokens), 0) FROM llm_usage_monthly m WHERE m.organization_id = o.id) AS expected
         -- CROSS JOIN keeps the candidates the outer loop: left to itself, the planner scans organization.
         FROM candidates c CROSS JOIN organization o ON o.id = c.id CROSS JOIN ai_account a ON a.organization_id = o.id
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
