// Responses of /usage/*, and the fleet rollup's query.
import { z } from "@hono/zod-openapi";
import { AI_BUCKETS } from "../../db/schema";

const Timestamp = z.string().openapi({ format: "date-time" });
const Tokens = z.number().int();

export const UsageSummarySchema = z
  .object({
    organization_id: z.string(),
    ai_enabled: z.boolean().openapi({ description: "The plan's enable_ai flag" }),
    period: z.object({ start: Timestamp, end: Timestamp, source: z.enum(["subscription", "calendar_month"]) }),
    allotment: z.object({
      used: Tokens,
      limit: Tokens.openapi({ description: "The plan's token_limit per period; -1 = unlimited" }),
      remaining: Tokens.nullable().openapi({ description: "null when unlimited" }),
    }),
    credits: z.object({ balance: Tokens.openapi({ description: "Purchased tokens; they do not expire" }) }),
    overage: z.object({
      enabled: z.boolean().openapi({ description: "organization overage_enabled AND system ai_overage_enabled" }),
      used: Tokens,
      ceiling: Tokens.openapi({ description: "ai_overage_ceiling_tokens per period" }),
    }),
    reserved_tokens: Tokens.openapi({ description: "Worst cases of the calls in flight" }),
    available_tokens: Tokens.nullable().openapi({
      description:
        "What a new call may reserve: remaining allotment + credits + remaining overage - reserved; null when unlimited",
    }),
    own_usage: z.object({ tokens: Tokens, cost_usd: z.number(), calls: z.number().int() }).openapi({
      description: "The caller's own calls this period (with an API key: that key's)",
    }),
    member_budget: z
      .object({
        limit: Tokens,
        used: Tokens.openapi({ description: "Charged to the caller this period, plus the caller's calls in flight" }),
        remaining: Tokens,
      })
      .nullable()
      .openapi({
        description:
          "The caller's own AI budget (organization setting ai_member_token_limit); null when the organization sets none",
      }),
  })
  .openapi("UsageSummary");

const UsageEntrySchema = z
  .object({
    id: z.number().int(),
    user_id: z.string().nullable(),
    api_key_id: z.string().nullable().openapi({ description: "The API key that made the call; null for a session" }),
    reservation_id: z.string(),
    provider: z.string(),
    model: z.string(),
    bucket: z
      .enum(AI_BUCKETS)
      .openapi({ description: "What paid for these tokens; absorbed = past the cap, not charged" }),
    tokens: Tokens,
    input_tokens: Tokens,
    output_tokens: Tokens,
    cost_usd: z.number(),
    reclaimed: z
      .boolean()
      .openapi({ description: "Charged at the reserved estimate by the cron: the call was never settled" }),
    created_at: Timestamp,
  })
  .openapi("UsageEntry");

export const UsageHistorySchema = z
  .object({
    organization_id: z.string(),
    scope: z.enum(["own", "organization"]).openapi({ description: "own for members, organization for org_admins" }),
    items: z.array(UsageEntrySchema),
    limit: z.number().int(),
    offset: z.number().int(),
    has_more: z.boolean(),
  })
  .openapi("UsageHistory");

/** A page of the period's biggest spenders: who (`who`'s fields), then what they used. */
function topSpendersPage<const Who extends z.ZodRawShape>(who: Who, name: string) {
  return z
    .object({
      organization_id: z.string(),
      period: z.object({ start: Timestamp, end: Timestamp }),
      items: z.array(z.object({ ...who, tokens: Tokens, cost_usd: z.number(), calls: z.number().int() })),
      limit: z.number().int(),
      offset: z.number().int(),
      has_more: z.boolean(),
    })
    .openapi(name);
}

export const TopUsersSchema = topSpendersPage(
  { user_id: z.string().nullable(), email: z.string().nullable() },
  "TopUsers",
);

export const TopApiKeysSchema = topSpendersPage(
  { api_key_id: z.string(), name: z.string().nullable(), prefix: z.string().nullable() },
  "TopApiKeys",
);

export const FleetQuerySchema = z.strictObject({
  days: z.coerce.number().int().min(0).max(365).default(30).openapi({
    description: "Whole UTC days before today to include, besides today (0 = today only)",
  }),
});

const Rollup = { tokens: Tokens, cost_usd: z.number(), calls: z.number().int() };

export const FleetUsageSchema = z
  .object({
    days: z.number().int(),
    since: Timestamp,
    totals: z.object({
      ...Rollup,
      charged_tokens: Tokens,
      absorbed_tokens: Tokens,
      reclaimed_tokens: Tokens,
      organizations: z.number().int(),
    }),
    by_day: z.array(z.object({ day: z.string().openapi({ format: "date" }), ...Rollup })),
    by_model: z.array(z.object({ provider: z.string(), model: z.string(), ...Rollup })),
  })
  .openapi("FleetUsage");
