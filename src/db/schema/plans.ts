// Plans and what each organization has used of them. Features are declared in code
// (features/plans/features.ts); the JSON here is read through that declaration.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index, uniqueIndex, primaryKey } from "drizzle-orm/sqlite-core";
import { organizations } from "./organizations";

export const plans = sqliteTable(
  "plan",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    stripeProductId: text("stripe_product_id").unique(),
    isDefault: integer("is_default", { mode: "boolean" }).notNull().default(false),
    features: text("features").notNull(),
    createdAt: integer("created_at").notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  // At most one default plan, enforced by the database.
  (table) => [uniqueIndex("plan_single_default").on(table.isDefault).where(sql`is_default = 1`)],
);

/** Usage of one quota feature by one organization in one billing period (SEC-52-style counters). */
export const usageCounters = sqliteTable(
  "usage_counter",
  {
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    feature: text("feature").notNull(),
    periodStart: integer("period_start").notNull(),
    used: integer("used").notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.organizationId, table.feature, table.periodStart] })],
);

/** Every change of an organization's non-expiring credit balance, once per payment (unique reference). */
export const creditTransactions = sqliteTable(
  "organization_credit_transaction",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    tokens: integer("tokens").notNull(),
    kind: text("kind").notNull(),
    paymentReference: text("payment_reference").unique(),
    createdAt: integer("created_at").notNull(),
    /**
     * The Stripe PaymentIntent that paid a purchase, copied onto its refund and lost-dispute rows:
     * how a charge.refunded or charge.dispute.* event finds the credits it takes back (SEC-80).
     */
    paymentIntentId: text("payment_intent_id"),
  },
  (table) => [
    index("credit_transaction_org_idx").on(table.organizationId, table.createdAt),
    index("credit_transaction_payment_intent_idx").on(table.paymentIntentId).where(sql`payment_intent_id IS NOT NULL`),
  ],
);

/** Stripe events already applied: the id is recorded in the same batch as the effect (SEC-51). */
export const stripeEvents = sqliteTable(
  "stripe_event",
  {
    id: text("id").primaryKey(),
    type: text("type").notNull(),
    objectCreatedAt: integer("object_created_at"),
    processedAt: integer("processed_at").notNull(),
  },
  // The retention job deletes events past STRIPE_EVENT_RETENTION_DAYS, oldest first.
  (table) => [index("stripe_event_processed_idx").on(table.processedAt)],
);

export const CREDIT_DISPUTE_STATUSES = ["open", "won", "lost"] as const;
export type CreditDisputeStatus = (typeof CREDIT_DISPUTE_STATUSES)[number];

/**
 * A Stripe dispute of a credit-pack payment (SEC-80). While any dispute of an organization is
 * 'open', the AI ledger treats its credit balance as 0. The dispute id is the primary key, so a
 * close that arrives before its open (Stripe does not order deliveries) is kept and the late open
 * inserts nothing: the dispute never reopens.
 */
export const creditDisputes = sqliteTable(
  "credit_dispute",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    chargeId: text("charge_id").notNull(),
    status: text("status", { enum: CREDIT_DISPUTE_STATUSES }).notNull(),
    createdAt: integer("created_at").notNull(),
    closedAt: integer("closed_at"),
  },
  (table) => [index("credit_dispute_open_org_idx").on(table.organizationId).where(sql`status = 'open'`)],
);

/**
 * Invoices whose payment failed or succeeded, one row each: invoice.paid wins for good, so a
 * payment_failed delivered after the paid of the same invoice (Stripe does not order deliveries)
 * never starts a grace period, and a second failure of one invoice never restarts it.
 */
export const invoicePayments = sqliteTable(
  "invoice_payment",
  {
    invoiceId: text("invoice_id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id),
    status: text("status", { enum: ["failed", "paid"] }).notNull(),
    updatedAt: integer("updated_at").notNull(),
  },
  (table) => [index("invoice_payment_failed_org_idx").on(table.organizationId).where(sql`status = 'failed'`)],
);
