// HTTP for /organization: the caller's organization, its members and its audit log.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { IdParamSchema, PageQuerySchema } from "../../platform/schemas";
import { minRole, requireCurrentSession } from "../../middleware/access";
import { toPage } from "../../lib/pagination";
import { toISOString } from "../../lib/time";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, noContent, requireActor, requireSessionActor } from "../../platform/route-helpers";
import { clearSessionCookie } from "../../middleware/session-cookie";
import { UserSchema, toUserResponse } from "../users/schemas";
import { leaveOrganization as leaveMyOrganization } from "./memberships-service";
import { AuditPageSchema, toAuditEntry } from "../audit/schemas";
import { listAuditLog } from "../audit/service";
import { ChangeRoleSchema, MemberListSchema, OrganizationSchema, toMemberResponse } from "./schemas";
import { changeMemberRole, getMyOrganization, listMyOrganizationMembers, removeMember } from "./members-service";

const getOrganization = defineRoute(
  { access: minRole("readonly") },
  {
    method: "get",
    path: "/",
    tags: ["Organizations"],
    summary: "The caller's organization",
    responses: { 200: jsonResponse(OrganizationSchema, "The organization") },
  },
);

const listOrganizationMembers = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/users",
    tags: ["Organizations"],
    summary: "Members of the caller's organization",
    responses: { 200: jsonResponse(MemberListSchema, "Members, oldest first") },
  },
);

const changeRole = defineRoute(
  {
    access: minRole("org_admin"),
    errors: {
      FORBIDDEN: "your own role, a role above yours, or a member whose role is above yours",
      NOT_FOUND: "no such member in your organization",
      CONFLICT: "the organization would be left without an active org_admin",
      VALIDATION_ERROR: "role must be readonly, member or org_admin (never sys_admin)",
    },
  },
  {
    method: "patch",
    path: "/users/{id}",
    tags: ["Organizations"],
    summary: "Change a member's role; applies on their next request",
    request: { params: IdParamSchema, body: jsonBody(ChangeRoleSchema) },
    responses: { 204: noContent("Changed") },
  },
);

const removeOrganizationMember = defineRoute(
  {
    access: minRole("org_admin"),
    errors: {
      FORBIDDEN: "a member whose role is above yours",
      NOT_FOUND: "no such member in your organization",
      CONFLICT: "yourself, or the last active org_admin",
    },
  },
  {
    method: "delete",
    path: "/users/{id}",
    tags: ["Organizations"],
    summary: "Remove a member from the organization; their sessions acting in it end",
    description: "The account and its other memberships stay.",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Removed") },
  },
);

const leaveOrganization = defineRoute(
  {
    access: minRole("readonly"),
    errors: { CONFLICT: "you are its last active org_admin: appoint another first" },
  },
  {
    method: "delete",
    path: "/membership",
    tags: ["Organizations"],
    summary: "Leave the session's active organization",
    description:
      "The session moves to your most recently active other organization (200, the /users/me shape there), or ends when none is left (204, the session cookie cleared). Your other sessions acting in the organization end.",
    responses: {
      200: jsonResponse(UserSchema, "Left; the user as seen in the organization the session moved to"),
      204: noContent("Left your last organization; signed out"),
    },
  },
);

const organizationAuditLog = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/audit-log",
    tags: ["Organizations"],
    summary: "The organization's audit log, newest first",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(AuditPageSchema, "A page of entries") },
  },
);

export const organizationRoutes = createRouter()
  .openapi(getOrganization, async (c) => {
    const organization = await getMyOrganization(serviceContextFrom(c), requireActor(c));
    return c.json(
      {
        id: organization.id,
        name: organization.name,
        created_at: toISOString(organization.createdAt),
        member_count: organization.memberCount,
      },
      200,
    );
  })
  .openapi(listOrganizationMembers, async (c) => {
    const rows = await listMyOrganizationMembers(serviceContextFrom(c), requireActor(c));
    return c.json(
      {
        members: rows.map(toMemberResponse),
      },
      200,
    );
  })
  .openapi(changeRole, async (c) => {
    await changeMemberRole(serviceContextFrom(c), requireActor(c), {
      userId: c.req.valid("param").id,
      role: c.req.valid("json").role,
    });
    return c.body(null, 204);
  })
  .openapi(removeOrganizationMember, async (c) => {
    await removeMember(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(leaveOrganization, async (c) => {
    const outcome = await leaveMyOrganization(serviceContextFrom(c), requireSessionActor(c));
    if (outcome.sessionEnded) {
      clearSessionCookie(c);
      return c.body(null, 204);
    }
    return c.json(toUserResponse((await requireCurrentSession(c)).user), 200);
  })
  .openapi(organizationAuditLog, async (c) => {
    const page = c.req.valid("query");
    const rows = await listAuditLog(serviceContextFrom(c), page, { organizationId: requireActor(c).organizationId });
    return c.json(toPage(rows, page, toAuditEntry), 200);
  });
