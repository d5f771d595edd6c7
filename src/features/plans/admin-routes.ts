// HTTP for /admin/plans (sys_admin): plan CRUD and the default plan.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { IdParamSchema } from "../../platform/schemas";
import { serviceContextFrom } from "../../platform/service-context";
import { AdminPlanListSchema, AdminPlanSchema, PlanInputSchema } from "./schemas";
import { createPlan, deletePlan, getPlan, listPlans, setDefaultPlan, updatePlan, type PlanInput } from "./service";
import { toAdminPlanResponse } from "./responses";
import type { PlanFeatures } from "./features";

const SYS_ADMIN = minRole("sys_admin");
const NO_SUCH_PLAN = { NOT_FOUND: "no such plan" } as const;

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
  { access: SYS_ADMIN, errors: { CONFLICT: "the Stripe product id is taken" } },
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
  { access: SYS_ADMIN, errors: NO_SUCH_PLAN },
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
  { access: SYS_ADMIN, errors: { ...NO_SUCH_PLAN, CONFLICT: "the Stripe product id is taken" } },
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
  { access: SYS_ADMIN, errors: { ...NO_SUCH_PLAN, CONFLICT: "the default plan or a plan in use" } },
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
  { access: SYS_ADMIN, errors: NO_SUCH_PLAN },
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

export const planAdminRoutes = createRouter()
  .openapi(list, async (c) => c.json({ plans: (await listPlans(serviceContextFrom(c))).map(toAdminPlanResponse) }, 200))
  .openapi(create, async (c) => {
    const plan = await createPlan(serviceContextFrom(c), requireActor(c), toPlanInput(c.req.valid("json")));
    return c.json(toAdminPlanResponse(plan), 201);
  })
  .openapi(read, async (c) =>
    c.json(toAdminPlanResponse(await getPlan(serviceContextFrom(c), c.req.valid("param").id)), 200),
  )
  .openapi(replace, async (c) => {
    const input = toPlanInput(c.req.valid("json"));
    const plan = await updatePlan(serviceContextFrom(c), requireActor(c), c.req.valid("param").id, input);
    return c.json(toAdminPlanResponse(plan), 200);
  })
  .openapi(remove, async (c) => {
    await deletePlan(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(makeDefault, async (c) => {
    const plan = await setDefaultPlan(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.json(toAdminPlanResponse(plan), 200);
  });
