// Applying a Stripe subscription's state to its organization, never older over newer (SEC-51).
import { and, eq, inArray, isNull, lte, notInArray, or, type SQL } from "drizzle-orm";
import type { Database } from "../../db/client";
import { organizations, plans } from "../../db/schema";

/** Subscription statuses under which the organization has its paid plan. */
export const ENTITLING_STATUSES = ["active", "trialing", "past_due"] as const;

export function findPlansByStripeProductIds(db: Database, productIds: string[]) {
  if (productIds.length === 0) return Promise.resolve([]);
  return db
    .select({ id: plans.id, stripeProductId: plans.stripeProductId })
    .from(plans)
    .where(inArray(plans.stripeProductId, productIds));
}

export interface SubscriptionState {
  /** null: the default plan. */
  planId: string | null;
  subscriptionId: string;
  status: string;
  periodStart: number | null;
  periodEnd: number | null;
  /** A deleted subscription's paid period end: the maintenance job ends the plan then. */
  planEndsAt: number | null;
  /** The event's place in time (subscription-events.ts, eventTimeOf); it only moves forward. */
  eventAt: number;
}

/**
 * Writes the state only if no newer state was applied (compare-and-set on subscription_event_at,
 * so two deliveries racing cannot undo each other either) and only for the subscription the
 * organization follows:
 * - `ended` (deleted): only the organization's own subscription; an old one ending changes nothing;
 * - otherwise: the same subscription, or any when the organization has none that entitles it, or
 *   when this one entitles it (a second, active subscription takes over from an incomplete one).
 * Returns a row only when it wrote.
 */
export function buildSubscriptionUpdate(
  db: Database,
  organizationId: string,
  state: SubscriptionState,
  options: { ended: boolean; entitles: boolean },
) {
  let follows: SQL | undefined;
  if (options.ended) {
    follows = eq(organizations.stripeSubscriptionId, state.subscriptionId);
  } else if (!options.entitles) {
    follows = or(
      isNull(organizations.stripeSubscriptionId),
      eq(organizations.stripeSubscriptionId, state.subscriptionId),
      isNull(organizations.subscriptionStatus),
      notInArray(organizations.subscriptionStatus, [...ENTITLING_STATUSES]),
    );
  }
  return db
    .update(organizations)
    .set({
      planId: state.planId,
      stripeSubscriptionId: state.subscriptionId,
      subscriptionStatus: state.status,
      currentPeriodStart: state.periodStart,
      currentPeriodEnd: state.periodEnd,
      planEndsAt: state.planEndsAt,
      subscriptionEventAt: state.eventAt,
    })
    .where(
      and(
        eq(organizations.id, organizationId),
        or(isNull(organizations.subscriptionEventAt), lte(organizations.subscriptionEventAt, state.eventAt)),
        follows,
      ),
    )
    .returning({ id: organizations.id });
}
