// Ends an organization's Stripe subscription at once, for an organization about to be deleted
// (API.md "Account lifecycle": an organization left without members is deleted and stops paying).
import { AppError } from "../../errors";
import type { ServiceContext } from "../../platform/service-context";
import { findOrganizationSubscription } from "./subscription-cancel-repo";
import { requireStripeClient } from "./stripe-client";
import { callStripe } from "./stripe-errors";

/** Statuses after which Stripe bills nothing more: nothing to cancel. */
const ENDED_STATUSES = new Set(["canceled", "incomplete_expired"]);

/**
 * Cancels immediately (not at period end: nobody is left to use the rest of the period). A
 * subscription Stripe no longer knows counts as cancelled. Stripe failing is 502 and the caller
 * deletes nothing, so an organization is never gone while its card is still being charged.
 * Billing off (no STRIPE_SECRET_KEY) with a subscription on record is 503 MISCONFIGURED, for the
 * same reason.
 */
export async function cancelOrganizationSubscription(ctx: ServiceContext, organizationId: string): Promise<boolean> {
  const row = await findOrganizationSubscription(ctx.db, organizationId);
  const subscriptionId = row?.stripeSubscriptionId;
  if (!subscriptionId || (row.status !== null && ENDED_STATUSES.has(row.status))) return false;
  const stripe = await requireStripeClient(ctx.config);
  try {
    await callStripe(
      "subscriptions.cancel",
      () => stripe.subscriptions.cancel(subscriptionId, undefined, { idempotencyKey: `cancel-${subscriptionId}` }),
      { notFound: "gone" },
    );
  } catch (error) {
    if (error instanceof AppError && error.code === "NOT_FOUND") return false;
    throw error;
  }
  return true;
}
