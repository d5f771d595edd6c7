// HTTP for /usage/*: the caller's organization's AI usage, and the fleet rollup for sys_admins.
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { PageQuerySchema } from "../../platform/schemas";
import { minRole } from "../../middleware/access";
import { jsonResponse, requireActor } from "../../platform/route-helpers";
import {
  FleetQuerySchema,
  FleetUsageSchema,
  TopApiKeysSchema,
  TopUsersSchema,
  UsageHistorySchema,
  UsageSummarySchema,
} from "./schemas";
import { serviceContextFrom } from "../../platform/service-context";
import { getFleetUsage, getUsageSummary, listTopApiKeys, listTopUsers, listUsageHistory } from "./service";

const summary = defineRoute(
  { access: minRole("member", { apiKeyScope: "usage:read" }) },
  {
    method: "get",
    path: "/summary",
    tags: ["Usage"],
    summary:
      "AI allotment used / limit, credit balance, overage, reserved tokens and the caller's own usage this period",
    responses: { 200: jsonResponse(UsageSummarySchema, "The organization's AI ledger this period") },
  },
);

const history = defineRoute(
  { access: minRole("member", { apiKeyScope: "usage:read" }) },
  {
    method: "get",
    path: "/history",
    tags: ["Usage"],
    summary: "The per-call usage log, newest first: a member's own rows, an org_admin's whole organization",
    description: "One row per bucket a call was charged to (allotment, credits, overage) or absorbed past the cap.",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(UsageHistorySchema, "A page of usage rows") },
  },
);

const topUsers = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/top-users",
    tags: ["Usage"],
    summary: "Members of the caller's organization by AI tokens used this period, most first",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(TopUsersSchema, "A page of members") },
  },
);

const topApiKeys = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/api-keys",
    tags: ["Usage"],
    summary: "The organization's API keys by AI tokens used this period, most first",
    request: { query: PageQuerySchema },
    responses: { 200: jsonResponse(TopApiKeysSchema, "A page of keys") },
  },
);

const fleet = defineRoute(
  { access: minRole("sys_admin") },
  {
    method: "get",
    path: "/fleet",
    tags: ["Usage"],
    summary: "AI usage of every organization over the last `days` UTC days: totals, per day, per model",
    request: { query: FleetQuerySchema },
    responses: { 200: jsonResponse(FleetUsageSchema, "The fleet rollup") },
  },
);

export const usageRoutes = createRouter()
  .openapi(summary, async (c) => c.json(await getUsageSummary(serviceContextFrom(c), requireActor(c)), 200))
  .openapi(history, async (c) =>
    c.json(await listUsageHistory(serviceContextFrom(c), requireActor(c), c.req.valid("query")), 200),
  )
  .openapi(topUsers, async (c) =>
    c.json(await listTopUsers(serviceContextFrom(c), requireActor(c), c.req.valid("query")), 200),
  )
  .openapi(topApiKeys, async (c) =>
    c.json(await listTopApiKeys(serviceContextFrom(c), requireActor(c), c.req.valid("query")), 200),
  )
  .openapi(fleet, async (c) => c.json(await getFleetUsage(serviceContextFrom(c), c.req.valid("query").days), 200));
