// GET /admin/stats: its query and its response.
import { z } from "@hono/zod-openapi";

export const StatsQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(1).max(365).default(30).openapi({
    description: "UTC days to cover, today included (1 = today only)",
  }),
});

const Day = z.string().openapi({ format: "date" });

export const AdminStatsSchema = z
  .object({
    days: z.number().int(),
    since: z.string().openapi({ format: "date-time", description: "Start of the first UTC day covered" }),
    signups_by_day: z.array(z.object({ day: Day, signups: z.number().int() })).openapi({
      description: "Accounts created per UTC day; days without signups are left out",
    }),
    active_sessions: z.number().int().openapi({ description: "Sessions not yet expired, now" }),
    organizations_by_plan: z
      .array(
        z.object({
          plan_id: z.string().nullable().openapi({ description: "null only when no plan is the default" }),
          plan_name: z.string().nullable(),
          organizations: z.number().int(),
        }),
      )
      .openapi({ description: "Every organization, those without a plan counted on the default plan; most first" }),
    ai_usage_by_day: z.array(z.object({ day: Day, tokens: z.number().int(), cost_usd: z.number() })).openapi({
      description: "Charged AI tokens and their provider cost per UTC day; absorbed usage (past the cap) is left out",
    }),
  })
  .openapi("AdminStats");
