// The quota hook metered features call, backed by the organization's plan and billing period.
import type { Database } from "../../db/client";
import type { QuotaFeatureName } from "./features";
import { resolveOrganizationPlan } from "./service";
import { adjustUsage, incrementWithinLimit, readUsage } from "./usage-repo";

export type QuotaFeature = QuotaFeatureName;

type QuotaDecision = { allowed: true } | { allowed: false; limit: number; used: number };

export interface QuotaMeter {
  /**
   * Checks the limit and, when it holds, records `amount` of usage in the same statement, so two
   * concurrent callers can never both take the last unit.
   */
  checkQuota(organizationId: string, feature: QuotaFeature, amount: number): Promise<QuotaDecision>;
  /** Adjusts recorded usage without a check: negative to give units back (a deleted note). */
  recordUsage(organizationId: string, feature: QuotaFeature, delta: number): Promise<void>;
}

export function createQuotaMeter(db: Database): QuotaMeter {
  return {
    async checkQuota(organizationId, feature, amount) {
      const { features, period } = await resolveOrganizationPlan(db, organizationId);
      const limit = features[feature];
      const key = { organizationId, feature, periodStart: period.start };
      if ((await incrementWithinLimit(db, key, amount, limit)) !== null) return { allowed: true };
      return { allowed: false, limit, used: await readUsage(db, key) };
    },
    async recordUsage(organizationId, feature, delta) {
      const { period } = await resolveOrganizationPlan(db, organizationId);
      await adjustUsage(db, { organizationId, feature, periodStart: period.start }, delta);
    },
  };
}
