// The overage meter report's queue (SEC-81): llm_usage_log rows in the 'overage' bucket, each
// claimed by one run (compare-and-set with a lease), reported, then stamped reported.
//
// Raw D1 statements: the claim is one UPDATE ... WHERE id IN (subquery) ... RETURNING, and the
// stamp takes its ids as one JSON array (json_each), not a bound parameter per row.
import { d1Of, type Database } from "../../db/client";

export interface ClaimedOverageRow {
  id: number;
  organizationId: string;
  stripeCustomerId: string;
  tokens: number;
  createdAt: number;
}

/**
 * Claims up to `limit` unreported overage rows, oldest first, for `claim`: rows nobody holds, or
 * whose holder's lease ended before `leaseCutoff` (a run that died). One UPDATE, so two runs at
 * once never claim the same row: SQLite applies them one after the other and the second sees the
 * first's claims. Rows of organizations without a Stripe customer wait (nothing to bill yet).
 */
export async function claimOverageRows(
  db: Database,
  options: { claim: string; now: number; leaseCutoff: number; limit: number },
): Promise<ClaimedOverageRow[]> {
  const claimable = `meter_reported_at IS NULL AND (meter_claimed_at IS NULL OR meter_claimed_at < ?3)`;
  const { results } = await d1Of(db)
    .prepare(
      `UPDATE llm_usage_log SET meter_claim = ?1, meter_claimed_at = ?2
        WHERE id IN (
          SELECT l.id FROM llm_usage_log l JOIN organization o ON o.id = l.organization_id
           WHERE l.bucket = 'overage' AND ${claimable.replaceAll("meter_", "l.meter_")} AND o.stripe_customer_id IS NOT NULL
           ORDER BY l.id LIMIT ?4)
          AND bucket = 'overage' AND ${claimable}
        RETURNING id, organization_id, tokens, created_at,
                  (SELECT stripe_customer_id FROM organization WHERE id = llm_usage_log.organization_id) AS customer`,
    )
    .bind(options.claim, options.now, options.leaseCutoff, options.limit)
    .all<{ id: number; organization_id: string; tokens: number; created_at: number; customer: string }>();
  return results
    .map((row) => ({
      id: row.id,
      organizationId: row.organization_id,
      stripeCustomerId: row.customer,
      tokens: row.tokens,
      createdAt: row.created_at,
    }))
    .sort((a, b) => a.id - b.id);
}

/**
 * Stamps rows reported, only those this claim still holds and nobody stamped: a run whose lease
 * ran out and whose rows another run took stamps nothing of theirs. `outcome` is kept in
 * meter_claim: "reported", or "rejected" when Stripe refused the event for good (logged).
 */
export async function markOverageRows(
  db: Database,
  options: { ids: number[]; claim: string; now: number; outcome: "reported" | "rejected" },
): Promise<number> {
  if (options.ids.length === 0) return 0;
  const result = await d1Of(db)
    .prepare(
      `UPDATE llm_usage_log SET meter_reported_at = ?1, meter_claim = ?4
        WHERE id IN (SELECT value FROM json_each(?2)) AND meter_claim = ?3 AND meter_reported_at IS NULL`,
    )
    .bind(options.now, JSON.stringify(options.ids), options.claim, options.outcome)
    .run();
  return result.meta.changes;
}

/** Gives rows back for the next run (the report failed): only those this claim still holds. */
export async function releaseOverageRows(db: Database, options: { ids: number[]; claim: string }): Promise<void> {
  if (options.ids.length === 0) return;
  await d1Of(db)
    .prepare(
      `UPDATE llm_usage_log SET meter_claim = NULL, meter_claimed_at = NULL
        WHERE id IN (SELECT value FROM json_each(?1)) AND meter_claim = ?2 AND meter_reported_at IS NULL`,
    )
    .bind(JSON.stringify(options.ids), options.claim)
    .run();
}
