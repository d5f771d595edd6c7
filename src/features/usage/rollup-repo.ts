// Retention of llm_usage_log: raw rows past the window are summed into llm_usage_monthly and
// deleted, a bounded batch at a time.
import { d1Of, type Database } from "../../db/client";

/**
 * The batch: the reservations of the oldest raw rows created before the cutoff (oldest first, on
 * llm_usage_created_idx). Whole reservations, so the rows a call wrote in several buckets are
 * rolled up together and `calls` (distinct reservations) is never counted twice. Both statements
 * of a batch evaluate it inside one transaction, so they see the same reservations.
 */
const DOOMED =
  "doomed AS (SELECT reservation_id FROM llm_usage_log WHERE created_at < ?1 ORDER BY created_at LIMIT ?2)";

const MONTH_START = "CAST(strftime('%s', created_at / 1000, 'unixepoch', 'start of month') AS INTEGER) * 1000";

/**
 * Rolls up and deletes one batch; returns the raw rows deleted. Both statements run in one D1
 * batch, which is one transaction: a run that dies leaves either both done or neither, and two
 * runs at once serialize on the primary, the second finding the rows already gone (no row is
 * ever counted both raw and rolled up, nor twice in the rollup).
 * https://developers.cloudflare.com/d1/worker-api/d1-database/#batch
 */
export async function rollUpAndDeleteUsageBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  const d1 = d1Of(db);
  const [, deleted] = await d1.batch([
    d1
      .prepare(
        `WITH ${DOOMED}
         INSERT INTO llm_usage_monthly (organization_id, month_start, user_id, provider, model, tokens,
           input_tokens, output_tokens, cost_usd, absorbed_tokens, credits_tokens, reclaimed_tokens, calls)
         SELECT organization_id, ${MONTH_START}, coalesce(user_id, ''), provider, model, sum(tokens),
           sum(input_tokens), sum(output_tokens), sum(cost_usd),
           sum(CASE WHEN bucket = 'absorbed' THEN tokens ELSE 0 END),
           sum(CASE WHEN bucket = 'credits' THEN tokens ELSE 0 END),
           sum(CASE WHEN reclaimed THEN tokens ELSE 0 END), count(DISTINCT reservation_id)
           FROM llm_usage_log
          WHERE reservation_id IN (SELECT reservation_id FROM doomed)
          GROUP BY 1, 2, 3, 4, 5
         ON CONFLICT (organization_id, month_start, user_id, provider, model) DO UPDATE SET
           tokens = tokens + excluded.tokens,
           input_tokens = input_tokens + excluded.input_tokens,
           output_tokens = output_tokens + excluded.output_tokens,
           cost_usd = cost_usd + excluded.cost_usd,
           absorbed_tokens = absorbed_tokens + excluded.absorbed_tokens,
           credits_tokens = credits_tokens + excluded.credits_tokens,
           reclaimed_tokens = reclaimed_tokens + excluded.reclaimed_tokens,
           calls = calls + excluded.calls`,
      )
      .bind(cutoff, batchSize),
    d1
      .prepare(
        `WITH ${DOOMED}
         DELETE FROM llm_usage_log WHERE reservation_id IN (SELECT reservation_id FROM doomed)
         RETURNING 1 AS deleted`,
      )
      .bind(cutoff, batchSize),
  ]);
  // Counted from RETURNING, not meta.changes: D1 counts in meta.changes the rows the triggers on
  // llm_usage_log change in the daily rollups too (migrations/0018_usage_daily.sql).
  return deleted?.results.length ?? 0;
}
