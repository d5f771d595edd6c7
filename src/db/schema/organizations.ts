// The tenant: users belong to it through membership; it also carries its billing state.
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
  },
  // GET /admin/stats counts organizations by plan from this index alone.
  (table) => [index("organization_plan_idx").on(table.planId)],
);
