// The quota meter of platform/quota.ts, backed by the organization's plan and billing period.
import type { Database } from "../../db/client";
import type { QuotaMeter } from "../../platform/quota";
import { resolveOrganizationPlan } from "./service";
import { adjustUsage, incrementWithinLimit, readUsage } from "./usage-repo";

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
