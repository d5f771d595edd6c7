// The quota hook metered features call, backed by the organization's plan and billing period.
import type { SQLWrapper } from "drizzle-orm";
import type { Database } from "../../db/client";
import type { QuotaFeatureName } from "./features";
import { resolveOrganizationPlan } from "./service";
import { adjustUsage, incrementWithinLimit, readUsage } from "./usage-repo";

export type QuotaFeature = QuotaFeatureName;

/** An allowed decision names the period the units were counted in, for giving them back (SEC-60). */
type QuotaDecision = { allowed: true; periodStart: number } | { allowed: false; limit: number; used: number };

export interface QuotaMeter {
  /**
   * Checks the limit and, when it holds, records `amount` of usage in the same statement, so two
   * concurrent callers can never both take the last unit.
   */
  checkQuota(organizationId: string, feature: QuotaFeature, amount: number): Promise<QuotaDecision>;
  /**
   * A statement giving `amount` units back to the period they were counted in (SEC-60), never to
   * the current one unless that is it: `periodStart` is the period, or a subquery reading it in
   * the caller's batch. Await it to run it alone.
   */
  buildRelease(
    organizationId: string,
    feature: QuotaFeature,
    periodStart: number | SQLWrapper,
    amount: number,
  ): ReturnType<typeof adjustUsage>;
}

export function createQuotaMeter(db: Database): QuotaMeter {
  return {
    async checkQuota(organizationId, feature, amount) {
      const { features, period } = await resolveOrganizationPlan(db, organizationId);
      const limit = features[feature];
      const key = { organizationId, feature, periodStart: period.start };
      if ((await incrementWithinLimit(db, key, amount, limit)) !== null) {
        return { allowed: true, periodStart: period.start };
      }
      return { allowed: false, limit, used: await readUsage(db, key) };
    },
    buildRelease(organizationId, feature, periodStart, amount) {
      return adjustUsage(db, { organizationId, feature, periodStart }, -amount);
    },
  };
}
