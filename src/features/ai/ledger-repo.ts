// The ledger's statements (SEC-52). Reserve and settle are each ONE D1 batch (one transaction),
// and every decision (does the reservation fit, how a call splits across buckets) is made in SQL
// against the state the transaction sees, never read into JavaScript and written back.
//
// Raw D1 statements, not drizzle: drizzle cannot put a parameterized raw query into db.batch()
// (its SQLiteRaw has no prepared statement), and these need CTEs, changes() and scalar min/max.
import { type SQL, sql } from "drizzle-orm";
import { d1Of, type Database } from "../../db/client";
import { toNumberedSQL } from "../../db/sql-fragments";
import type { AIBucket } from "../../db/schema";

/** Stands for "no limit" in capacity sums; far past any real count, far below int64 overflow. */
const UNLIMITED_HEADROOM = 1_000_000_000_000_000;

/**
 * The credits a call may draw on, in SQL, for the organization bound at `org`: the balance, never
 * below 0 (a refund may leave it negative: credit spending stops until it is positive again), and
 * 0 while a dispute of one of its credit purchases is open (SEC-80).
 */
function creditsFreeSQL(org: string): string {
  return `coalesce((SELECT CASE
      WHEN EXISTS (SELECT 1 FROM credit_dispute d WHERE d.organization_id = o.id AND d.status = 'open') THEN 0
      ELSE max(o.credit_balance_tokens, 0) END
    FROM organization o WHERE o.id = ${org}), 0)`;
}

/**
 * A cap on one slice of an organization's spend (a member today): what that slice was charged this
 * period, plus its calls in flight, plus the new worst case, must stay within tokenLimit. Checked
 * in the same conditional UPDATE as the organization's capacity, so every cap holds at once
 * under concurrency. `column` names the ai_reservation / llm_usage_log column the slice is keyed by.
 */
export interface SliceCap {
  /** The member's budget (user_id) or an API key's own cap (api_key_id). */
  column: "user_id" | "api_key_id";
  value: string;
  tokenLimit: number;
}

/**
 * The SQL condition of each cap, numbering its parameters from `firstParam` (the period start,
 * then a value and a limit per cap; none at all without caps). ?1 is the organization, ?2 the new
 * worst case.
 */
function buildSliceCapConditions(
  caps: readonly SliceCap[],
  periodStart: number,
  firstParam: number,
): { sql: string; params: (string | number)[] } {
  if (caps.length === 0) return { sql: "", params: [] };
  const periodParam = firstParam;
  const params: (string | number)[] = [periodStart];
  const conditions = caps.map((cap) => {
    const value = firstParam + params.length;
    const limit = value + 1;
    params.push(cap.value, cap.tokenLimit);
    return `AND (SELECT coalesce(sum(l.tokens), 0) FROM llm_usage_log l
                  WHERE l.organization_id = ?1 AND l.${cap.column} = ?${value} AND l.period_start = ?${periodParam}
                    AND l.bucket <> 'absorbed')
              + (SELECT coalesce(sum(r.tokens), 0) FROM ai_reservation r
                  WHERE r.organization_id = ?1 AND r.${cap.column} = ?${value} AND r.settled_at IS NULL)
              + ?2 <= ?${limit}`;
  });
  return { sql: conditions.join("\n            "), params };
}

/** What bounds an organization's AI spend this period, resolved from its plan and settings. */
export interface LedgerLimits {
  /** The plan's token_limit; -1 is unlimited. */
  tokenLimit: number;
  /** org overage_enabled AND system ai_overage_enabled. */
  isOverageEnabled: boolean;
  /** ai_overage_ceiling_tokens: most overage tokens per period. */
  overageCeiling: number;
}

/**
 * Creates the account row, or rolls it into a newer period (used counters to 0; reservations in
 * flight stay reserved). A period that moves backwards (a late webhook) never resets anything.
 * `periodStart` may be SQL read in the same statement; one that yields NULL (no organization)
 * writes nothing.
 */
function buildRollover(
  d1: D1Database,
  organizationId: string,
  periodStart: number | SQL,
  now: number,
): D1PreparedStatement {
  const period = toNumberedSQL(typeof periodStart === "number" ? sql`${periodStart}` : periodStart, 3);
  return d1
    .prepare(
      `INSERT INTO ai_account (organization_id, period_start, allotment_used, overage_used, reserved_tokens, updated_at)
       SELECT ?1, p.start, 0, 0, 0, ?2 FROM (SELECT ${period.sql} AS start) p WHERE p.start IS NOT NULL
       ON CONFLICT (organization_id) DO UPDATE
         SET period_start = excluded.period_start, allotment_used = 0, overage_used = 0, updated_at = excluded.updated_at
         WHERE ai_account.period_start < excluded.period_start`,
    )
    .bind(organizationId, now, ...period.params);
}

export interface ReservationRow {
  id: string;
  organizationId: string;
  userId: string | null;
  /** The API key that made the call, when one did. */
  apiKeyId?: string | null;
  tokens: number;
  provider: string;
  model: string;
  createdAt: number;
  expiresAt: number;
}

/**
 * One batch: roll the period, then ONE conditional UPDATE that adds the worst case to
 * reserved_tokens only if reserved + n still fits remaining allotment + credit balance + remaining
 * overage AND every slice cap (a member's budget) still holds (SQLite serializes writers, so two
 * callers can never both take the last tokens of either), then the reservation row, inserted only
 * if that UPDATE changed a row. Returns whether it fit.
 */
export async function reserveTokens(
  db: Database,
  reservation: ReservationRow,
  periodStart: number,
  limits: LedgerLimits,
  caps: readonly SliceCap[] = [],
): Promise<boolean> {
  const d1 = d1Of(db);
  const now = reservation.createdAt;
  const sliceCaps = buildSliceCapConditions(caps, periodStart, 7);
  const [, reserved] = await d1.batch([
    buildRollover(d1, reservation.organizationId, periodStart, now),
    d1
      .prepare(
        `UPDATE ai_account SET reserved_tokens = reserved_tokens + ?2, updated_at = ?3
          WHERE organization_id = ?1
            AND reserved_tokens + ?2 <=
                (CASE WHEN ?4 = -1 THEN ${UNLIMITED_HEADROOM} ELSE max(?4 - allotment_used, 0) END)
              + ${creditsFreeSQL("?1")}
              + (CASE WHEN ?5 = 1 THEN max(?6 - overage_used, 0) ELSE 0 END)
            ${sliceCaps.sql}
          RETURNING reserved_tokens`,
      )
      .bind(
        reservation.organizationId,
        reservation.tokens,
        now,
        limits.tokenLimit,
        limits.isOverageEnabled ? 1 : 0,
        limits.overageCeiling,
        ...sliceCaps.params,
      ),
    d1
      .prepare(
        `INSERT INTO ai_reservation (id, organization_id, user_id, tokens, provider, model, created_at, expires_at, settled_at, settlement_id, api_key_id)
         SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, NULL, NULL, ?9 WHERE changes() > 0`,
      )
      .bind(
        reservation.id,
        reservation.organizationId,
        reservation.userId,
        reservation.tokens,
        reservation.provider,
        reservation.model,
        reservation.createdAt,
        reservation.expiresAt,
        reservation.apiKeyId ?? null,
      ),
  ]);
  return (reserved?.results.length ?? 0) > 0;
}

/**
 * The limits a settlement charges under and the period it rolls into, as SQL evaluated inside its
 * own batch: the plan and settings as they are when it commits (ledger.ts, selectLedgerLimitsSQL),
 * or fixed values (bindLedgerLimits) when the caller has just read them (the cron's reclaim).
 */
export interface SettlementLimits {
  tokenLimit: SQL;
  /** 1 or 0. */
  isOverageEnabled: SQL;
  overageCeiling: SQL;
  periodStart: SQL;
}

/** Limits already read, as SettlementLimits. */
export function bindLedgerLimits(limits: LedgerLimits, periodStart: number): SettlementLimits {
  return {
    tokenLimit: sql`${limits.tokenLimit}`,
    isOverageEnabled: sql`${limits.isOverageEnabled ? 1 : 0}`,
    overageCeiling: sql`${limits.overageCeiling}`,
    periodStart: sql`${periodStart}`,
  };
}

export interface SettlementRequest {
  reservationId: string;
  organizationId: string;
  /**
   * Unique per attempt (a retry gets a new one): the CAS stamps it and every later statement is
   * gated on it, so an attempt whose CAS lost, even to an earlier attempt of the same call, writes nothing.
   */
  settlementId: string;
  inputTokens: number;
  outputTokens: number;
  inputUSDPerMillion: number;
  outputUSDPerMillion: number;
  isReclaimed: boolean;
  now: number;
}

export interface SettlementRow {
  bucket: AIBucket;
  tokens: number;
  input_tokens: number;
  output_tokens: number;
  cost_usd: number;
}

/**
 * One batch, charged at most once:
 * 1. roll the period;
 * 2. CAS: stamp settled_at and settlement_id on the reservation only while settled_at IS NULL,
 *    so of a late settlement and the cron reclaim exactly one wins;
 * 3. insert one llm_usage_log row per bucket touched, split in SQL from the state this
 *    transaction sees: allotment, then credits, then overage, and never more in total than the
 *    capacity left after the OTHER calls' reservations; the rest is 'absorbed' (logged, not
 *    charged). Input tokens are charged first, so per-row input/output/cost sum exactly;
 * 4. move this settlement's allotment and overage rows into the counters and release the
 *    reservation; 5. debit this settlement's credits rows from the balance; 6. read the outcome.
 * Steps 3 to 5 are gated on the reservation carrying this settlement id: a losing CAS writes nothing.
 * The limits are SQL evaluated in step 3, so the plan and settings are read in this transaction;
 * `followUps` are appended (7...), one list, so the whole settlement is one round trip.
 */
export async function settleReservation(
  db: Database,
  request: SettlementRequest,
  limits: SettlementLimits,
  /** Run after the settlement in its transaction (usage alerts): gated on it by their own SQL. */
  followUps: readonly D1PreparedStatement[] = [],
): Promise<{ settledBy: string | null; rows: SettlementRow[]; followUpResults: D1Result[] }> {
  const d1 = d1Of(db);
  const { reservationId: rid, settlementId: sid, organizationId: org, now } = request;
  // The split's limits, numbered after its own nine parameters.
  const tokenLimit = toNumberedSQL(limits.tokenLimit, 10);
  const overageOn = toNumberedSQL(limits.isOverageEnabled, 10 + tokenLimit.params.length);
  const overageCeiling = toNumberedSQL(limits.overageCeiling, 10 + tokenLimit.params.length + overageOn.params.length);
  const [, , , , , settled, ...followUpResults] = await d1.batch([
    buildRollover(d1, org, limits.periodStart, now),
    d1
      .prepare(
        `UPDATE ai_reservation SET settled_at = ?3, settlement_id = ?2
          WHERE id = ?1 AND organization_id = ?4 AND settled_at IS NULL`,
      )
      .bind(rid, sid, now, org),
    d1
      .prepare(
        `WITH
           r AS (SELECT id, organization_id, user_id, api_key_id, tokens, provider, model FROM ai_reservation WHERE id = ?1 AND settlement_id = ?2),
           a AS (SELECT allotment_used, overage_used, reserved_tokens, period_start FROM ai_account WHERE organization_id = ?3),
           lim AS (SELECT ${tokenLimit.sql} AS token_limit, ${overageOn.sql} AS overage_on, ${overageCeiling.sql} AS overage_ceiling),
           free AS (
             SELECT
               (CASE WHEN lim.token_limit = -1 THEN ${UNLIMITED_HEADROOM} ELSE max(lim.token_limit - a.allotment_used, 0) END) AS allotment_free,
               ${creditsFreeSQL("?3")} AS credits_free,
               (CASE WHEN lim.overage_on = 1 THEN max(lim.overage_ceiling - a.overage_used, 0) ELSE 0 END) AS overage_free,
               max(a.reserved_tokens - r.tokens, 0) AS others_reserved
             FROM r, a, lim
           ),
           charge AS (
             SELECT min(?4 + ?5, max(allotment_free + credits_free + overage_free - others_reserved, 0)) AS charged,
                    allotment_free, credits_free
               FROM free
           ),
           split AS (
             SELECT charged,
                    min(charged, allotment_free) AS allotment,
                    min(charged - min(charged, allotment_free), credits_free) AS credits
               FROM charge
           ),
           buckets (bucket, position, tokens) AS (
             SELECT 'allotment', 0, allotment FROM split
             UNION ALL SELECT 'credits', allotment, credits FROM split
             UNION ALL SELECT 'overage', allotment + credits, charged - allotment - credits FROM split
             UNION ALL SELECT 'absorbed', charged, ?4 + ?5 - charged FROM split
           ),
           shares AS (
             SELECT bucket, tokens, max(min(position + tokens, ?4) - min(position, ?4), 0) AS input_tokens
               FROM buckets WHERE tokens > 0
           )
         INSERT INTO llm_usage_log (organization_id, user_id, api_key_id, reservation_id, settlement_id, provider, model, bucket,
                                    tokens, input_tokens, output_tokens, cost_usd, period_start, created_at, reclaimed)
         SELECT r.organization_id, r.user_id, r.api_key_id, r.id, ?2, r.provider, r.model, s.bucket,
                s.tokens, s.input_tokens, s.tokens - s.input_tokens,
                (s.input_tokens * ?6 + (s.tokens - s.input_tokens) * ?7) / 1000000.0,
                a.period_start, ?8, ?9
           FROM shares s, r, a`,
      )
      .bind(
        rid,
        sid,
        org,
        request.inputTokens,
        request.outputTokens,
        request.inputUSDPerMillion,
        request.outputUSDPerMillion,
        now,
        request.isReclaimed ? 1 : 0,
        ...tokenLimit.params,
        ...overageOn.params,
        ...overageCeiling.params,
      ),
    d1
      .prepare(
        `UPDATE ai_account
            SET allotment_used = allotment_used + (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log
                                                    WHERE reservation_id = ?1 AND settlement_id = ?2 AND bucket = 'allotment'),
                overage_used = overage_used + (SELECT coalesce(sum(tokens), 0) FROM llm_usage_log
                                                WHERE reservation_id = ?1 AND settlement_id = ?2 AND bucket = 'overage'),
                reserved_tokens = max(reserved_tokens - (SELECT tokens FROM ai_reservation WHERE id = ?1), 0),
                updated_at = ?4
          WHERE organization_id = ?3
            AND EXISTS (SELECT 1 FROM ai_reservation WHERE id = ?1 AND settlement_id = ?2)`,
      )
      .bind(rid, sid, org, now),
    d1
      .prepare(
        `UPDATE organization
            SET credit_balance_tokens = credit_balance_tokens - (SELECT sum(tokens) FROM llm_usage_log
                                                                  WHERE reservation_id = ?1 AND settlement_id = ?2 AND bucket = 'credits')
          WHERE id = ?3
            AND EXISTS (SELECT 1 FROM llm_usage_log WHERE reservation_id = ?1 AND settlement_id = ?2 AND bucket = 'credits')`,
      )
      .bind(rid, sid, org),
    // Who settled the reservation, with its usage rows (only one settlement ever writes rows for a
    // reservation: these are the winner's); one row with a NULL bucket when it charged nothing.
    d1
      .prepare(
        `SELECT r.settlement_id AS settled_by, l.bucket, l.tokens, l.input_tokens, l.output_tokens, l.cost_usd
           FROM ai_reservation r LEFT JOIN llm_usage_log l ON l.reservation_id = r.id
          WHERE r.id = ?1 ORDER BY l.id`,
      )
      .bind(rid),
    ...followUps,
  ]);
  const results = (settled?.results ?? []) as (Omit<SettlementRow, "bucket"> & {
    bucket: SettlementRow["bucket"] | null;
    settled_by: string | null;
  })[];
  return {
    settledBy: results[0]?.settled_by ?? null,
    rows: results.filter((row) => row.bucket !== null).map(({ settled_by: _, ...row }) => row as SettlementRow),
    followUpResults,
  };
}
