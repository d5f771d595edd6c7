// Plans as the API shows them.
import { toISOString } from "../../lib/time";
import type { ResolvedPlan } from "./service";

export function toPlanResponse(plan: ResolvedPlan) {
  return {
    id: plan.row.id,
    name: plan.row.name,
    stripe_product_id: plan.row.stripeProductId,
    is_default: plan.row.isDefault,
    features: plan.features,
  };
}

export function toAdminPlanResponse(plan: ResolvedPlan) {
  return {
    ...toPlanResponse(plan),
    warnings: plan.warnings,
    created_at: toISOString(plan.row.createdAt),
    updated_at: toISOString(plan.row.updatedAt),
  };
}
