// Reads of the ledger: an organization's counters and credit balance, and model prices.
import { and, eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { aiAccounts, modelPrices, organizations } from "../../db/schema";

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
