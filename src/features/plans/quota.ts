// The quota hook metered features call. Plans back it with real per-period limits; until a plan
// defines a limit, every organization is unmetered.
import type { Database } from "../../db/client";

export type QuotaFeature = "max_notes";

export type QuotaDecision = { allowed: true } | { allowed: false; limit: number; used: number };

export interface QuotaMeter {
  /**
   * Checks the limit and, when it holds, records `amount` of usage in the same step, so two
   * concurrent callers can never both take the last unit.
   */
  checkQuota(organizationId: string, feature: QuotaFeature, amount: number): Promise<QuotaDecision>;
  /** Adjusts recorded usage without a check: negative to give units back (a deleted note). */
  recordUsage(organizationId: string, feature: QuotaFeature, delta: number): Promise<void>;
}

/** No plan defines limits yet: everything is allowed and nothing needs recording. */
export const UNMETERED_QUOTA: QuotaMeter = {
  async checkQuota() {
    return { allowed: true };
  },
  async recordUsage() {},
};

export function createQuotaMeter(_db: Database): QuotaMeter {
  return UNMETERED_QUOTA;
}
