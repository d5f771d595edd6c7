// Request and response schemas of /plans, /plan and /admin/plans, derived from PLAN_FEATURES.
import { z } from "@hono/zod-openapi";
import { FEATURE_NAMES, PLAN_FEATURES, type FeatureName } from "./features";

const Timestamp = z.string().openapi({ format: "date-time" });

function featureValueSchema(name: FeatureName) {
  const definition = PLAN_FEATURES[name];
  return definition.kind === "quota"
    ? z
        .number()
        .int()
        .min(-1)
        .openapi({ description: `${definition.label}; -1 = unlimited` })
    : z.boolean().openapi({ description: definition.label });
}

/** Plan features as stored and accepted: every declared feature, nothing else (strict). */
const FeaturesInputSchema = z
  .strictObject(Object.fromEntries(FEATURE_NAMES.map((name) => [name, featureValueSchema(name).optional()])))
  .openapi("PlanFeaturesInput", { description: "Omitted features take their declared defaults." });

const FeaturesSchema = z
  .object(Object.fromEntries(FEATURE_NAMES.map((name) => [name, featureValueSchema(name)])))
  .openapi("PlanFeatures");

const PlanSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    stripe_product_id: z.string().nullable(),
    is_default: z.boolean(),
    features: FeaturesSchema,
  })
  .openapi("Plan");

export const PlanListSchema = z.object({ plans: z.array(PlanSchema) }).openapi("PlanList");

export const AdminPlanSchema = PlanSchema.extend({
  warnings: z.array(z.string()).openapi({ description: "Drift between the stored features and the declaration" }),
  created_at: Timestamp,
  updated_at: Timestamp,
}).openapi("AdminPlan");

export const AdminPlanListSchema = z.object({ plans: z.array(AdminPlanSchema) }).openapi("AdminPlanList");

export const PlanInputSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    stripe_product_id: z
      .string()
      .trim()
      .regex(/^prod_[A-Za-z0-9]{1,64}$/)
      .nullable()
      .optional(),
    features: FeaturesInputSchema,
  })
  .openapi("PlanInput");

const UsageSchema = z
  .object({ used: z.number().int(), limit: z.number().int().openapi({ description: "-1 = unlimited" }) })
  .openapi("FeatureUsage");

export const OrganizationPlanSchema = z
  .object({
    plan: PlanSchema.nullable(),
    period: z.object({ start: Timestamp, end: Timestamp, source: z.enum(["subscription", "calendar_month"]) }),
    subscription: z.object({ id: z.string(), status: z.string().nullable() }).nullable(),
    features: FeaturesSchema,
    usage: z.record(z.string(), UsageSchema),
  })
  .openapi("OrganizationPlan");
