// HTTP for /admin/stats (sys_admin): the fleet at a glance.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { minRole } from "../../middleware/access";
import { jsonResponse } from "../../platform/route-helpers";
import { AdminStatsSchema, StatsQuerySchema } from "./schemas";
import { serviceContextFrom } from "../../platform/service-context";
import { getAdminStats } from "./service";

const stats = defineRoute(
  { access: minRole("sys_admin") },
  {
    method: "get",
    path: "/stats",
    tags: ["Administration"],
    summary:
      "Signups per day, active sessions, organizations by plan, AI tokens and cost per day over the last `days` UTC days",
    request: { query: StatsQuerySchema },
    responses: { 200: jsonResponse(AdminStatsSchema, "The fleet's statistics") },
  },
);

export const adminStatsRoutes = createRouter().openapi(stats, async (c) =>
  c.json(await getAdminStats(serviceContextFrom(c), c.req.valid("query").days), 200),
);
