// HTTP for /admin (sys_admin): organizations across the fleet and the global audit log.
import { z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { IdParamSchema, PageQuerySchema } from "../../platform/schemas";
import { minRole } from "../../middleware/access";
import { toPage } from "../../lib/pagination";
import { toISOString } from "../../lib/time";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { AuditPageSchema, toAuditEntry } from "../audit/schemas";
import { listAuditLog } from "../audit/service";
import {
  AdminOrganizationPageSchema,
  CreateOrganizationSchema,
  CreatedOrganizationSchema,
  toInvitationResponse,
} from "./schemas";
import {
  createOrganization,
  findOrganizationOrThrow,
  listOrganizations,
  setOrganizationSuspended,
} from "./admin-service";

function toAdminOrganization(row: {
  id: string;
  name: string;
  createdAt: number;
  suspendedAt: number | null;
  memberCount: number;
}) {
  return {
    id: row.id,
    name: row.name,
    created_at: toISOString(row.createdAt),
    suspended: row.suspendedAt !== null,
    member_count: row.memberCount,
  };
}

const list = defineRoute(
  { access: minRole("sys_admin") },
  {
    method: "get",
    path: "/organizations",
    tags: ["Administration"],
    summary: "All organizations, newest first",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(AdminOrganizationPageSchema, "A page of organizations") },
  },
);

const create = defineRoute(
  {
    access: minRole("sys_admin"),
    errors: {
      CONFLICT: "admin_email already has an account",
      RATE_LIMITED: "admin_email was sent 3 invitations in the last hour; see Retry-After",
    },
  },
  {
    method: "post",
    path: "/organizations",
    tags: ["Administration"],
    summary: "Create an organization and invite its first org_admin",
    description:
      "Works in both modes; in B2B it is how organizations come to exist. The organization starts on the default plan.",
    request: { body: jsonBody(CreateOrganizationSchema) },
    responses: { 201: jsonResponse(CreatedOrganizationSchema, "Created; the invitation email is on its way") },
  },
);

function suspensionRoute(action: "suspend" | "activate") {
  return defineRoute(
    {
      access: minRole("sys_admin"),
      errors: {
        NOT_FOUND: "no such organization",
        ...(action === "suspend" ? { CONFLICT: "your own organization" } : {}),
      },
    },
    {
      method: "post",
      path: `/organizations/{id}/${action}`,
      tags: ["Administration"],
      summary:
        action === "suspend"
          ? "Suspend an organization: members cannot sign in, their sessions end, data is kept"
          : "Activate a suspended organization",
      request: { params: IdParamSchema },
      responses: { 204: noContent(action === "suspend" ? "Suspended" : "Active") },
    },
  );
}

const adminAuditLog = defineRoute(
  { access: minRole("sys_admin") },
  {
    method: "get",
    path: "/audit-log",
    tags: ["Administration"],
    summary: "The audit log of every organization, newest first",
    request: {
      query: PageQuerySchema.extend({ organization_id: z.string().max(64).optional() }),
    },
    responses: { 200: jsonResponse(AuditPageSchema, "A page of entries") },
  },
);

export const adminRoutes = createRouter()
  .openapi(list, async (c) => {
    const page = c.req.valid("query");
    const rows = await listOrganizations(serviceContextFrom(c), page);
    return c.json(toPage(rows, page, toAdminOrganization), 200);
  })
  .openapi(create, async (c) => {
    const ctx = serviceContextFrom(c);
    const body = c.req.valid("json");
    const { organizationId, invitation } = await createOrganization(ctx, requireActor(c), {
      name: body.name,
      adminEmail: body.admin_email,
      ...(body.admin_full_name ? { adminFullName: body.admin_full_name } : {}),
    });
    const organization = await findOrganizationOrThrow(ctx, organizationId);
    return c.json(
      { organization: toAdminOrganization(organization), invitation: toInvitationResponse(invitation) },
      201,
    );
  })
  .openapi(suspensionRoute("suspend"), async (c) => {
    await setOrganizationSuspended(serviceContextFrom(c), requireActor(c), {
      organizationId: c.req.valid("param").id,
      suspended: true,
    });
    return c.body(null, 204);
  })
  .openapi(suspensionRoute("activate"), async (c) => {
    await setOrganizationSuspended(serviceContextFrom(c), requireActor(c), {
      organizationId: c.req.valid("param").id,
      suspended: false,
    });
    return c.body(null, 204);
  })
  .openapi(adminAuditLog, async (c) => {
    const { organization_id: organizationId, ...page } = c.req.valid("query");
    const rows = await listAuditLog(
      serviceContextFrom(c),
      page,
      organizationId === undefined ? {} : { organizationId },
    );
    return c.json(toPage(rows, page, toAuditEntry), 200);
  });
