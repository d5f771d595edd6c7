// The quota meter of platform/quota.ts, backed by the organization's plan and billing period.
import type { QuotaMeter } from "../../platform/quota";
import type { ServiceContext } from "../../platform/service-context";
import { resolveOrganizationPlan } from "./service";
import { adjustUsage, buildIncrementWithinLimit, readUsage } from "./usage-repo";

export function createQuotaMeter(ctx: ServiceContext): QuotaMeter {
  const { db } = ctx;
  return {
    async prepareTake(organizationId, feature, amount) {
      const { features, period } = await resolveOrganizationPlan(ctx, organizationId);
      const limit = features[feature];
      const key = { organizationId, feature, periodStart: period.start };
      return {
        periodStart: period.start,
        statement: buildIncrementWithinLimit(db, key, amount, limit),
        readRefusal: async () => ({ limit, used: await readUsage(db, key) }),
      };
    },
    buildRelease(organizationId, feature, periodStart, amount) {
      return adjustUsage(db, { organizationId, feature, periodStart }, -amount);
    },
  };
}
