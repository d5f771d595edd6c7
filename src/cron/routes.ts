// POST /cron/run: the maintenance job for external schedulers, behind the cron bearer secret.
import { z } from "@hono/zod-openapi";
import { createRouter } from "../platform/openapi/app-factory";
import { defineRoute } from "../platform/openapi/define-route";
import { CRON_SECRET } from "../middleware/access";
import { jsonResponse } from "../platform/route-helpers";
import { CRON_RUN_PATH } from "../platform/server-routes";
import { runMaintenance } from "./maintenance";

const MaintenanceReportSchema = z
  .object({
    prune: z.object({
      sessions_deleted: z.number().int(),
      mfa_pending_logins_deleted: z.number().int(),
      dev_emails_deleted: z.number().int(),
      webhook_events_deleted: z.number().int(),
      webhook_deliveries_deleted: z.number().int(),
      incomplete: z.boolean(),
    }),
    ai: z.object({
      reservations_reclaimed: z.number().int(),
      tokens_reclaimed: z.number().int(),
      reclaims_lost_to_settlement: z.number().int(),
      periods_rolled_over: z.number().int(),
      accounts_repaired: z.number().int(),
      credit_balances_drifted: z.number().int(),
      incomplete: z.boolean(),
    }),
    billing: z.object({
      overage: z.object({
        enabled: z
          .boolean()
          .openapi({ description: "false while STRIPE_METER_EVENT_NAME or STRIPE_SECRET_KEY is unset" }),
        reported: z.number().int(),
        tokens: z.number().int(),
        rejected: z.number().int(),
        failed: z.number().int(),
        incomplete: z.boolean(),
      }),
      dunning: z.object({ downgraded: z.number().int(), plans_ended: z.number().int() }),
    }),
    retention: z
      .object({
        usage_rows_rolled_up: z.number().int(),
        audit_rows_deleted: z.number().int(),
        stripe_events_deleted: z.number().int(),
        reservations_deleted: z.number().int(),
        invitations_deleted: z.number().int(),
        email_tokens_deleted: z.number().int(),
        incomplete: z.boolean(),
      })
      .nullable()
      .openapi({ description: "null when a retention setting is invalid (logged as retention_misconfigured)" }),
    webhooks: z
      .object({ events: z.number().int(), messages: z.number().int() })
      .openapi({ description: "webhook events left behind by a request, sent to the Queue now" }),
    duration_ms: z.number().int(),
  })
  .openapi("MaintenanceReport");

const run = defineRoute(
  { access: CRON_SECRET },
  {
    method: "post",
    path: CRON_RUN_PATH,
    tags: ["Maintenance"],
    summary: "Run the maintenance job now (Authorization: Bearer CRON_SECRET)",
    security: [{ cronBearer: [] }],
    responses: { 200: jsonResponse(MaintenanceReportSchema, "What the job did") },
  },
);

export const cronRoutes = createRouter().openapi(run, async (c) => c.json(await runMaintenance(c.env, "http"), 200));
