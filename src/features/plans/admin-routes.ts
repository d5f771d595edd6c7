// HTTP for /admin/plans (sys_admin): plan CRUD and the default plan.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { IdParamSchema } from "../../platform/schemas";
import { recordAuditEvent } from "../audit/service";
import { AdminPlanListSchema, AdminPlanSchema, PlanInputSchema } from "./schemas";
import { createPlan, deletePlan, getPlan, listPlans, setDefaultPlan, updatePlan, type PlanInput } from "./service";
import { toAdminPlanResponse } from "./responses";
import type { PlanFeatures } from "./features";
import type { Context } from "hono";
import type { AppEnv } from "../../env";

const SYS_ADMIN = minRole("sys_admin");
const NOT_FOUND = { 404: "NOT_FOUND: no such plan" } as const;

const list = defineRoute(
  { access: SYS_ADMIN },
  {
    method: "get",
    path: "/plans",
    tags: ["Administration"],
    summary: "Every plan, with feature-drift warnings",
    responses: { 200: jsonResponse(AdminPlanListSchema, "Plans") },
  },
);

const create = defineRoute(
  { access: SYS_ADMIN, errors: { 409: "CONFLICT: the Stripe product id is taken" } },
  {
    method: "post",
    path: "/plans",
    tags: ["Administration"],
    summary: "Create a plan",
    request: { body: jsonBody(PlanInputSchema) },
    responses: { 201: jsonResponse(AdminPlanSchema, "Created") },
  },
);

const read = defineRoute(
  { access: SYS_ADMIN, errors: NOT_FOUND },
  {
    method: "get",
    path: "/plans/{id}",
    tags: ["Administration"],
    summary: "One plan, with feature-drift warnings",
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(AdminPlanSchema, "The plan") },
  },
);

const replace = defineRoute(
  { access: SYS_ADMIN, errors: { ...NOT_FOUND, 409: "CONFLICT: the Stripe product id is taken" } },
  {
    method: "put",
    path: "/plans/{id}",
    tags: ["Administration"],
    summary: "Replace a plan's name, Stripe product id and features",
    request: { params: IdParamSchema, body: jsonBody(PlanInputSchema) },
    responses: { 200: jsonResponse(AdminPlanSchema, "The updated plan") },
  },
);

const remove = defineRoute(
  { access: SYS_ADMIN, errors: { ...NOT_FOUND, 409: "CONFLICT: the default plan or a plan in use" } },
  {
    method: "delete",
    path: "/plans/{id}",
    tags: ["Administration"],
    summary: "Delete a plan no organization is on",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Deleted") },
  },
);

const makeDefault = defineRoute(
  { access: SYS_ADMIN, errors: NOT_FOUND },
  {
    method: "post",
    path: "/plans/{id}/default",
    tags: ["Administration"],
    summary: "Make a plan the default (organizations without a subscription are on it)",
    request: { params: IdParamSchema },
    responses: { 200: jsonResponse(AdminPlanSchema, "The new default plan") },
  },
);

function toPlanInput(body: {
  name: string;
  stripe_product_id?: string | null | undefined;
  features: Record<string, unknown>;
}): PlanInput {
  return {
    name: body.name,
    stripeProductId: body.stripe_product_id ?? null,
    features: body.features as Partial<PlanFeatures>,
  };
}

async function auditPlanChange(c: Context<AppEnv>, planId: string, change: string): Promise<void> {
  const actor = requireActor(c);
  await recordAuditEvent(c.get("db"), {
    action: "plan_changed",
    organizationId: null,
    actorUserId: actor.userId,
    target: planId,
    ip: c.get("clientIP"),
    details: { change },
  });
}

export const planAdminRoutes = createRouter()
  .openapi(list, async (c) => c.json({ plans: (await listPlans(c.get("db"))).map(toAdminPlanResponse) }, 200))
  .openapi(create, async (c) => {
    const plan = await createPlan(c.get("db"), toPlanInput(c.req.valid("json")));
    await auditPlanChange(c, plan.row.id, "created");
    return c.json(toAdminPlanResponse(plan), 201);
  })
  .openapi(read, async (c) => c.json(toAdminPlanResponse(await getPlan(c.get("db"), c.req.valid("param").id)), 200))
  .openapi(replace, async (c) => {
    const plan = await updatePlan(c.get("db"), c.req.valid("param").id, toPlanInput(c.req.valid("json")));
    await auditPlanChange(c, plan.row.id, "updated");
    return c.json(toAdminPlanResponse(plan), 200);
  })
  .openapi(remove, async (c) => {
    const { id } = c.req.valid("param");
    await deletePlan(c.get("db"), id);
    await auditPlanChange(c, id, "deleted");
    return c.body(null, 204);
  })
  .openapi(makeDefault, async (c) => {
    const plan = await setDefaultPlan(c.get("db"), c.req.valid("param").id);
    await auditPlanChange(c, plan.row.id, "made_default");
    return c.json(toAdminPlanResponse(plan), 200);
  });
