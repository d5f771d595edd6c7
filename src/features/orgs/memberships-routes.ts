// HTTP for /organizations: the organizations the caller belongs to, creating one (B2C) and
// switching the session's active one (docs/organizations.md). Leaving is DELETE
// /organization/membership (routes.ts), since it acts on the active organization.
import { minRole, requireCurrentSession } from "../../middleware/access";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { RATE_LIMITS } from "../../platform/rate-limit";
import { jsonBody, jsonResponse, requireActor, requireSessionActor } from "../../platform/route-helpers";
import { serviceContextFrom } from "../../platform/service-context";
import { UserSchema, toUserResponse } from "../users/schemas";
import { createMyOrganization, listMyOrganizations, switchOrganization } from "./memberships-service";
import {
  CreateMyOrganizationSchema,
  MembershipListSchema,
  MembershipSchema,
  SwitchOrganizationSchema,
  toMembershipResponse,
} from "./schemas";

const list = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/",
    tags: ["Organizations"],
    summary: "The organizations the caller belongs to",
    description: "Most recently active first; `active` marks the session's active organization.",
    responses: { 200: jsonResponse(MembershipListSchema, "The caller's memberships") },
  },
);

const create = defineRoute(
  { access: minRole("readonly"), rateLimit: RATE_LIMITS.createOrganization, onlyInMode: "b2c" },
  {
    method: "post",
    path: "/",
    tags: ["Organizations"],
    summary: "Create an organization (B2C only); the caller becomes its org_admin and it becomes active",
    request: { body: jsonBody(CreateMyOrganizationSchema) },
    responses: { 201: jsonResponse(MembershipSchema, "Created, and now the session's active organization") },
  },
);

const switchActive = defineRoute(
  {
    access: minRole("readonly"),
    errors: { NOT_FOUND: "not one of your organizations, or suspended (unknown ids look the same)" },
  },
  {
    method: "post",
    path: "/switch",
    tags: ["Organizations"],
    summary: "Make another of the caller's organizations the session's active one",
    description: "Answers with the /users/me shape as seen in the organization switched to.",
    request: { body: jsonBody(SwitchOrganizationSchema) },
    responses: { 200: jsonResponse(UserSchema, "The user, acting in the organization switched to") },
  },
);

export const membershipRoutes = createRouter()
  .openapi(list, async (c) => {
    const rows = await listMyOrganizations(serviceContextFrom(c), requireActor(c));
    return c.json(rows.map(toMembershipResponse), 200);
  })
  .openapi(create, async (c) => {
    const name = c.req.valid("json").name;
    const organizationId = await createMyOrganization(serviceContextFrom(c), requireSessionActor(c), name);
    return c.json(
      toMembershipResponse({ organizationId, name, role: "org_admin", suspended: false, active: true }),
      201,
    );
  })
  .openapi(switchActive, async (c) => {
    await switchOrganization(serviceContextFrom(c), requireSessionActor(c), c.req.valid("json").organization_id);
    return c.json(toUserResponse((await requireCurrentSession(c)).user), 200);
  });
