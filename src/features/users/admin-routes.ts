// HTTP for the sys_admin part of /users: list every user, suspend, activate.
import { z } from "@hono/zod-openapi";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { IdParamSchema, PageQuerySchema, pageSchema } from "../../platform/schemas";
import { minRole } from "../../middleware/access";
import { toPage } from "../../lib/pagination";
import { serviceContextFrom } from "../../platform/service-context";
import { jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { MemberSchema, toMemberResponse } from "../orgs/schemas";
import { listUsers, setUserSuspended } from "../orgs/admin-service";

/** organization_id: the one they signed in to most recently; null once they belong to none. */
const AdminUserSchema = MemberSchema.extend({ organization_id: z.string().nullable() }).openapi("AdminUser");

const list = defineRoute(
  { access: minRole("sys_admin") },
  {
    method: "get",
    path: "/",
    tags: ["Administration"],
    summary: "All users of all organizations, newest first",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(pageSchema(AdminUserSchema, "AdminUserPage"), "A page of users") },
  },
);

function suspensionRoute(action: "suspend" | "activate") {
  return defineRoute(
    {
      access: minRole("sys_admin"),
      errors: { NOT_FOUND: "no such user", ...(action === "suspend" ? { CONFLICT: "yourself" } : {}) },
    },
    {
      method: "post",
      path: `/{id}/${action}`,
      tags: ["Administration"],
      summary:
        action === "suspend"
          ? "Suspend a user: they cannot sign in and their sessions end"
          : "Activate a suspended user",
      request: { params: IdParamSchema },
      responses: { 204: noContent(action === "suspend" ? "Suspended" : "Active") },
    },
  );
}

export const userAdminRoutes = createRouter()
  .openapi(list, async (c) => {
    const page = c.req.valid("query");
    const rows = await listUsers(serviceContextFrom(c), page);
    return c.json(
      toPage(rows, page, (row) => ({ ...toMemberResponse(row), organization_id: row.organizationId })),
      200,
    );
  })
  .openapi(suspensionRoute("suspend"), async (c) => {
    await setUserSuspended(serviceContextFrom(c), requireActor(c), {
      userId: c.req.valid("param").id,
      suspended: true,
    });
    return c.body(null, 204);
  })
  .openapi(suspensionRoute("activate"), async (c) => {
    await setUserSuspended(serviceContextFrom(c), requireActor(c), {
      userId: c.req.valid("param").id,
      suspended: false,
    });
    return c.body(null, 204);
  });
