// Reads of the ledger: an organization's counters and credit balance, and model prices.
import { and, eq, type SQL, sql } from "drizzle-orm";
import { d1Of, type Database } from "../../db/client";
import { toNumberedSQL } from "../../db/sql-fragments";
import { aiAccounts, modelPrices, organizations } from "../../db/schema";
import type { SliceCap } from "./ledger-repo";

export interface AccountState {
  periodStart: number | null;
  allotmentUsed: number;
  overageUsed: number;
  reservedTokens: number;
  creditBalance: number;
}

/** The organization's counters (zero before its first AI call) and its credit balance. */
export async function readAccountState(db: Database, organizationId: string): Promise<AccountState | null> {
  const row = await db
    .select({
      periodStart: aiAccounts.periodStart,
      allotmentUsed: aiAccounts.allotmentUsed,
      overageUsed: aiAccounts.overageUsed,
      reservedTokens: aiAccounts.reservedTokens,
      creditBalance: organizations.creditBalanceTokens,
    })
    .from(organizations)
    .leftJoin(aiAccounts, eq(aiAccounts.organizationId, organizations.id))
    .where(eq(organizations.id, organizationId))
    .get();
  if (!row) return null;
  return {
    periodStart: row.periodStart,
    allotmentUsed: row.allotmentUsed ?? 0,
    overageUsed: row.overageUsed ?? 0,
    reservedTokens: row.reservedTokens ?? 0,
    creditBalance: row.creditBalance,
  };
}

/** The account's period as SQL, for a statement that reads it in place; NULL before the first AI call. */
export function selectAccountPeriodStartSQL(organizationId: SQL): SQL {
  return sql`(SELECT a.period_start FROM ai_account a WHERE a.organization_id = ${organizationId})`;
}

export function findModelPrice(db: Database, provider: string, model: string) {
  return db
    .select({
      inputUSDPerMillion: modelPrices.inputUSDPerMillion,
      outputUSDPerMillion: modelPrices.outputUSDPerMillion,
    })
    .from(modelPrices)
    .where(and(eq(modelPrices.provider, provider), eq(modelPrices.model, model)))
    .get();
}

/**
 * What one slice (a member) has used this period plus its calls in flight: the left side of its
 * cap's condition in reserveTokens, read for the refusal's details and GET /usage/summary.
 */
export async function readSliceUsage(
  db: Database,
  organizationId: string,
  cap: Pick<SliceCap, "column" | "value">,
  periodStart: number | SQL,
): Promise<number> {
  // The period may be SQL evaluated in this statement (GET /usage/summary reads it with the policy).
  const period = toNumberedSQL(typeof periodStart === "number" ? sql`${periodStart}` : periodStart, 3);
  const row = await d1Of(db)
    .prepare(
      `SELECT (SELECT coalesce(sum(l.tokens), 0) FROM llm_usage_log l
                WHERE l.organization_id = ?1 AND l.${cap.column} = ?2 AND l.period_start = (${period.sql}) AND l.bucket <> 'absorbed')
            + (SELECT coalesce(sum(r.tokens), 0) FROM ai_reservation r
                WHERE r.organization_id = ?1 AND r.${cap.column} = ?2 AND r.settled_at IS NULL) AS used`,
    )
    .bind(organizationId, cap.value, ...period.params)
    .first<{ used: number }>();
  return row?.used ?? 0;
}
