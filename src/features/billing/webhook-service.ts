// POST /webhooks/stripe after the signature check: each event applied once, in order (SEC-51).
import type { ServiceContext } from "../../platform/service-context";
import type Stripe from "stripe";
import { logEvent } from "../../lib/log";
import { applyCheckoutEvent } from "./checkout-events";
import { applyCreditReversalEvent } from "./credit-reversal-events";
import { applyInvoiceEvent } from "./dunning-service";
import { isStripeEventRecorded, isStripeEventReplay } from "./stripe-event-repo";
import { applySubscriptionEvent } from "./subscription-events";
import type { WebhookResult } from "./webhook-outcome";

/** The event types to enable on the Stripe webhook endpoint (docs/billing.md). */
export const HANDLED_EVENT_TYPES = [
  "customer.subscription.created",
  "customer.subscription.updated",
  "customer.subscription.deleted",
  "checkout.session.completed",
  "checkout.session.async_payment_succeeded",
  "charge.refunded",
  "charge.dispute.created",
  "charge.dispute.closed",
  "invoice.payment_failed",
  "invoice.paid",
] as const;

async function dispatch(ctx: ServiceContext, event: Stripe.Event): Promise<WebhookResult> {
  switch (event.type) {
    case "customer.subscription.created":
    case "customer.subscription.updated":
    case "customer.subscription.deleted":
      return applySubscriptionEvent(ctx, event);
    case "checkout.session.completed":
    case "checkout.session.async_payment_succeeded":
      return applyCheckoutEvent(ctx, event);
    case "charge.refunded":
    case "charge.dispute.created":
    case "charge.dispute.closed":
      return applyCreditReversalEvent(ctx, event);
    case "invoice.payment_failed":
    case "invoice.paid":
      return applyInvoiceEvent(ctx, event);
    default:
      // Acknowledged and not recorded: nothing was applied, so there is nothing to deduplicate.
      return "ignored";
  }
}

/**
 * Applies a verified event. The quick lookup answers most replays without work; the guarantee is
 * the event id's primary key inside each effect's own batch, which turns a replay that slipped
 * past the lookup (two deliveries at once) into a rolled-back batch and the same answer.
 */
export async function handleStripeEvent(ctx: ServiceContext, event: Stripe.Event): Promise<WebhookResult> {
  let result: WebhookResult;
  if (await isStripeEventRecorded(ctx.db, event.id)) {
    result = "already_processed";
  } else {
    try {
      result = await dispatch(ctx, event);
    } catch (error) {
      if (!isStripeEventReplay(error)) throw error;
      result = "already_processed";
    }
  }
  logEvent(result === "failed" ? "error" : "info", "stripe_webhook_processed", {
    stripe_event_id: event.id,
    event_type: event.type,
    result,
  });
  return result;
}
