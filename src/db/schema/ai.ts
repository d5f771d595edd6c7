// The AI spend ledger (SEC-52): per-organization counters, reservations taken before a provider
// call, one usage row per bucket a settled call touched, and the price of each model.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, real, index, uniqueIndex, primaryKey, check } from "drizzle-orm/sqlite-core";
import { organizations } from "./organizations";

export const AI_BUCKETS = ["allotment", "credits", "overage", "absorbed"] as const;
export type AIBucket = (typeof AI_BUCKETS)[number];

/**
 * One row per organization that has used AI. allotment_used and overage_used count tokens charged
 * in the period that starts at period_start; reserved_tokens is the sum of the worst cases of the
 * calls in flight. The credit balance lives on organization (Stripe adds to it, settlement debits).
 */
export const aiAccounts = sqliteTable(
  "ai_account",
  {
    organizationId: text("organization_id")
      .primaryKey()
      .references(() => organizations.id),
    periodStart: integer("period_start").notNull(),
    allotmentUsed: integer("allotment_used").notNull().default(0),
    overageUsed: integer("overage_used").notNull().default(0),
    reservedTokens: integer("reserved_tokens").notNull().default(0),
    updatedAt: integer("updated_at").notNull(),
    /** The period whose 80 % / 100 % usage alert went out: each is sent once per period (CAS). */
    alert80PeriodStart: integer("alert_80_period_start"),
    alert100PeriodStart: integer("alert_100_period_start"),
  },
  (table) => [
    // The drift repair checks the accounts written since its last runs, not every account.
    index("ai_account_updated_idx").on(table.updatedAt),
    // The period roll-over finds accounts still in an earlier calendar month by this index.
    index("ai_account_period_idx").on(table.periodStart),
    check("ai_account_counters_check", sql`allotment_used >= 0 AND overage_used >= 0 AND reserved_tokens >= 0`),
  ],
);

/** A call's worst case, held from before the provider is contacted until it is settled once. */
export const aiReservations = sqliteTable(
  "ai_reservation",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    userId: text("user_id"),
    /** The organization API key that made the call, if one did (its own cap is a slice cap). */
    apiKeyId: text("api_key_id"),
    tokens: integer("tokens").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    createdAt: integer("created_at").notNull(),
    expiresAt: integer("expires_at").notNull(),
    /** Set with settlement_id by the one compare-and-set that settles the reservation. */
    settledAt: integer("settled_at"),
    settlementId: text("settlement_id"),
  },
  (table) => [
    // The cron reclaim scans expired, unsettled reservations; reconcile sums them per organization.
    index("ai_reservation_open_expiry_idx").on(table.expiresAt).where(sql`settled_at IS NULL`),
    index("ai_reservation_open_org_idx").on(table.organizationId).where(sql`settled_at IS NULL`),
    // A member's budget sums that member's open reservations at every reservation (per-member caps).
    index("ai_reservation_open_org_user_idx").on(table.organizationId, table.userId).where(sql`settled_at IS NULL`),
    index("ai_reservation_open_org_key_idx").on(table.organizationId, table.apiKeyId).where(sql`settled_at IS NULL`),
    // The retention job deletes settled reservations past their window, oldest first.
    index("ai_reservation_settled_idx").on(table.settledAt).where(sql`settled_at IS NOT NULL`),
  ],
);

/**
 * One row per bucket a settled call touched. input/output tokens and cost are this row's share
 * (input tokens are charged first), so sums over rows are exact. 'absorbed' is usage past the cap:
 * recorded, never charged to the organization.
 */
export const llmUsageLogs = sqliteTable(
  "llm_usage_log",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    userId: text("user_id"),
    /** Copied from the reservation: /usage groups by it, the key's cap sums it. */
    apiKeyId: text("api_key_id"),
    reservationId: text("reservation_id").notNull(),
    settlementId: text("settlement_id").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    bucket: text("bucket", { enum: AI_BUCKETS }).notNull(),
    tokens: integer("tokens").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    costUSD: real("cost_usd").notNull(),
    periodStart: integer("period_start").notNull(),
    createdAt: integer("created_at").notNull(),
    /** Charged by the cron reclaim at the reserved estimate: the worker never settled the call. */
    reclaimed: integer("reclaimed", { mode: "boolean" }).notNull().default(false),
    /**
     * Overage rows are billed as Stripe meter events (SEC-81): a run claims a row (meter_claim,
     * meter_claimed_at; compare-and-set, with a lease), reports it with the row id as Stripe's
     * identifier, then stamps meter_reported_at. Never on other buckets.
     */
    meterClaim: text("meter_claim"),
    meterClaimedAt: integer("meter_claimed_at"),
    meterReportedAt: integer("meter_reported_at"),
  },
  (table) => [
    // A reservation is charged once per bucket, whatever races (defence in depth behind the CAS).
    uniqueIndex("llm_usage_reservation_bucket_idx").on(table.reservationId, table.bucket),
    index("llm_usage_org_created_idx").on(table.organizationId, table.createdAt),
    index("llm_usage_org_user_created_idx").on(table.organizationId, table.userId, table.createdAt),
    index("llm_usage_org_period_idx").on(table.organizationId, table.periodStart, table.bucket),
    // A member's budget sums that member's usage this period at every reservation.
    index("llm_usage_org_user_period_idx").on(table.organizationId, table.userId, table.periodStart),
    index("llm_usage_org_key_period_idx").on(table.organizationId, table.apiKeyId, table.periodStart),
    index("llm_usage_created_idx").on(table.createdAt),
    // The meter report's queue: overage rows not yet reported, oldest first.
    index("llm_usage_overage_unreported_idx").on(table.id).where(sql`bucket = 'overage' AND meter_reported_at IS NULL`),
    // The account export pages one user's calls across organizations.
    index("llm_usage_user_idx").on(table.userId),
    // The credit-drift check sums an organization's credit charges from this index alone (covering)
    // and finds the organizations that have any, instead of reading every row they ever logged.
    index("llm_usage_org_credits_idx").on(table.organizationId, table.tokens).where(sql`bucket = 'credits'`),
    check("llm_usage_bucket_check", sql`bucket IN ('allotment', 'credits', 'overage', 'absorbed')`),
  ],
);

/**
 * llm_usage_log past its retention window, summed per calendar month (UTC), organization, user
 * ('' when the row had none: NULLs never conflict in a primary key), provider and model. Rows are
 * added by the same D1 batch that deletes the raw rows they sum (src/cron/retention.ts), so a row
 * is counted either raw or here, never both. Kept forever: a few rows per member and month.
 */
export const llmUsageMonthly = sqliteTable(
  "llm_usage_monthly",
  {
    organizationId: text("organization_id").notNull(),
    monthStart: integer("month_start").notNull(),
    userId: text("user_id").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    tokens: integer("tokens").notNull(),
    inputTokens: integer("input_tokens").notNull(),
    outputTokens: integer("output_tokens").notNull(),
    costUSD: real("cost_usd").notNull(),
    /** Part of tokens past the cap ('absorbed'): recorded, never charged. */
    absorbedTokens: integer("absorbed_tokens").notNull(),
    /** Part of tokens charged to credits: the credit-balance reconciliation sums it with the raw rows. */
    creditsTokens: integer("credits_tokens").notNull(),
    reclaimedTokens: integer("reclaimed_tokens").notNull(),
    /** Distinct reservations: every row of one reservation is rolled up by the same batch. */
    calls: integer("calls").notNull(),
  },
  (table) => [
    primaryKey({
      columns: [table.organizationId, table.monthStart, table.userId, table.provider, table.model],
    }),
    // The credit-drift check finds the organizations whose rolled-up usage includes credits.
    index("llm_usage_monthly_credits_idx").on(table.organizationId).where(sql`credits_tokens <> 0`),
  ],
);

/**
 * llm_usage_log summed per UTC day, provider and model, for the fleet-wide reads (/usage/fleet,
 * /admin/stats): 30 days of them are ~1 000 rows here against ~750 000 raw rows at 10M usage rows
 * (docs/scaling.md). Kept by triggers on llm_usage_log (migrations/0018_usage_daily.sql), in the
 * transaction of the statement that inserts or deletes the raw rows: every path that writes the log
 * (settlement, the cron's reclaim, retention, organization deletion) keeps it exact without code of
 * its own, and a day's row is dropped with the last raw row it sums, so retention bounds it too.
 */
export const llmUsageDaily = sqliteTable(
  "llm_usage_daily",
  {
    dayStart: integer("day_start").notNull(),
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    /** Tokens and cost of the rows charged to an organization (every bucket but 'absorbed'). */
    chargedTokens: integer("charged_tokens").notNull(),
    chargedCostUSD: real("charged_cost_usd").notNull(),
    /** Usage past the cap: recorded, never charged. */
    absorbedTokens: integer("absorbed_tokens").notNull(),
    absorbedCostUSD: real("absorbed_cost_usd").notNull(),
    reclaimedTokens: integer("reclaimed_tokens").notNull(),
    /** Distinct reservations: all rows of one are written (and deleted) by one statement, with one created_at. */
    calls: integer("calls").notNull(),
    /** Raw rows summed here; the row is deleted when the last of them is. */
    rows: integer("rows").notNull(),
    /** Of which charged: /admin/stats lists a day only when it has some (as its raw query did). */
    chargedRows: integer("charged_rows").notNull(),
  },
  (table) => [primaryKey({ columns: [table.dayStart, table.provider, table.model] })],
);

/**
 * The organizations with usage on each UTC day, for /usage/fleet's distinct count (not additive
 * over days, so not a column of llm_usage_daily). Kept by the same triggers.
 */
export const llmUsageDailyOrganizations = sqliteTable(
  "llm_usage_daily_org",
  {
    dayStart: integer("day_start").notNull(),
    organizationId: text("organization_id").notNull(),
    rows: integer("rows").notNull(),
  },
  (table) => [primaryKey({ columns: [table.dayStart, table.organizationId] })],
);

/** USD per million tokens. A model without a row cannot be called (never a free call). */
export const modelPrices = sqliteTable(
  "model_price",
  {
    provider: text("provider").notNull(),
    model: text("model").notNull(),
    inputUSDPerMillion: real("input_usd_per_million").notNull(),
    outputUSDPerMillion: real("output_usd_per_million").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [primaryKey({ columns: [table.provider, table.model] })],
);
