// HTTP for /plans (the catalogue) and /plan (the caller's organization's plan and usage).
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { toISOString } from "../../lib/time";
import { jsonResponse, requireActor } from "../../platform/route-helpers";
import { OrganizationPlanSchema, PlanListSchema } from "./schemas";
import { getOrganizationPlanUsage, listPlans } from "./service";
import { serviceContextFrom } from "../../platform/service-context";
import { toPlanResponse } from "./responses";

const catalogue = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/plans",
    tags: ["Plans"],
    summary: "The plan catalogue",
    responses: { 200: jsonResponse(PlanListSchema, "Every plan") },
  },
);

const organizationPlan = defineRoute(
  { access: minRole("readonly", { apiKeyScope: "plan:read" }) },
  {
    method: "get",
    path: "/plan",
    tags: ["Plans"],
    summary: "The caller's organization's plan, billing period, features and usage per quota",
    responses: { 200: jsonResponse(OrganizationPlanSchema, "The plan in effect") },
  },
);

export const planRoutes = createRouter()
  .openapi(catalogue, async (c) => c.json({ plans: (await listPlans(serviceContextFrom(c))).map(toPlanResponse) }, 200))
  .openapi(organizationPlan, async (c) => {
    const resolved = await getOrganizationPlanUsage(serviceContextFrom(c), requireActor(c));
    return c.json(
      {
        plan: resolved.plan ? toPlanResponse(resolved.plan) : null,
        period: {
          start: toISOString(resolved.period.start),
          end: toISOString(resolved.period.end),
          source: resolved.period.source,
        },
        subscription: resolved.subscription,
        features: resolved.features,
        usage: resolved.usage,
      },
      200,
    );
  });
