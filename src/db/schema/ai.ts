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
  () => [check("ai_account_counters_check", sql`allotment_used >= 0 AND overage_used >= 0 AND reserved_tokens >= 0`)],
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
    index("llm_usage_created_idx").on(table.createdAt),
    // The meter report's queue: overage rows not yet reported, oldest first.
    index("llm_usage_overage_unreported_idx").on(table.id).where(sql`bucket = 'overage' AND meter_reported_at IS NULL`),
    // The account export pages one user's calls across organizations.
    index("llm_usage_user_idx").on(table.userId),
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
  ],
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
