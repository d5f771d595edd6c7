// The tenant: users belong to it through membership; it also carries its billing state.
import { sql } from "drizzle-orm";
import { sqliteTable, text, integer, index } from "drizzle-orm/sqlite-core";

export const organizations = sqliteTable(
  "organization",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    createdAt: integer("created_at").notNull(),
    suspendedAt: integer("suspended_at"),
    // Billing: set by Stripe webhooks only. No plan_id means the default plan.
    planId: text("plan_id"),
    stripeCustomerId: text("stripe_customer_id").unique(),
    stripeSubscriptionId: text("stripe_subscription_id"),
    subscriptionStatus: text("subscription_status"),
    currentPeriodStart: integer("current_period_start"),
    currentPeriodEnd: integer("current_period_end"),
    /** The Stripe event time of the subscription state applied last; older events never apply (SEC-51). */
    subscriptionEventAt: integer("subscription_event_at"),
    creditBalanceTokens: integer("credit_balance_tokens").notNull().default(0),
    /**
     * Dunning: set by the first invoice.payment_failed of an unpaid invoice to when the grace period
     * ends (BILLING_GRACE_DAYS), cleared once every failed invoice is paid. Past it, the maintenance
     * job moves the organization to the default plan and stamps billing_downgraded_at (once).
     */
    billingGraceEndsAt: integer("billing_grace_ends_at"),
    billingDowngradedAt: integer("billing_downgraded_at"),
    /** customer.subscription.deleted keeps the paid plan until the period Stripe says was paid for ends. */
    planEndsAt: integer("plan_ends_at"),
  },
  // GET /admin/stats counts organizations by plan from this index alone.
  (table) => [
    index("organization_plan_idx").on(table.planId),
    // The maintenance job finds grace periods and paid periods that have ended.
    index("organization_grace_idx").on(table.billingGraceEndsAt).where(sql`billing_grace_ends_at IS NOT NULL`),
    index("organization_plan_ends_idx").on(table.planEndsAt).where(sql`plan_ends_at IS NOT NULL`),
    // The credit-drift check starts from organizations with a balance (or credit activity), not all.
    index("organization_credit_balance_idx").on(table.id).where(sql`credit_balance_tokens <> 0`),
    // The period roll-over finds subscriptions whose period started this month by this index.
    index("organization_period_start_idx").on(table.currentPeriodStart).where(sql`current_period_start IS NOT NULL`),
  ],
);
