// checkout.session.completed / async_payment_succeeded: fulfilling a paid credit pack.
import type { ServiceContext } from "../../platform/service-context";
import type Stripe from "stripe";
import { findOrganizationCustomer } from "./customer-repo";
import { CREDIT_PACK_KIND, fulfilCreditPurchase, readCreditPackMetadata } from "./credit-fulfilment";
import { buildStripeEventInsert, type StripeEventRow } from "./stripe-event-repo";
import { idOf, recordWebhookFailure, type WebhookResult } from "./webhook-outcome";

export type CheckoutEvent = Stripe.CheckoutSessionCompletedEvent | Stripe.CheckoutSessionAsyncPaymentSucceededEvent;

function eventRowOf(event: Stripe.Event): StripeEventRow {
  return { id: event.id, type: event.type, objectCreatedAt: event.created * 1000, processedAt: Date.now() };
}

export async function applyCheckoutEvent(ctx: ServiceContext, event: CheckoutEvent): Promise<WebhookResult> {
  const session = event.data.object;
  const isOurs = session.metadata?.kind === CREDIT_PACK_KIND;
  const metadata = readCreditPackMetadata(session);
  if (!metadata) {
    if (!isOurs) {
      // Another product's checkout on the same Stripe account: nothing to do, ever.
      await ctx.db.batch([buildStripeEventInsert(ctx.db, eventRowOf(event))]);
      return "unchanged";
    }
    return recordWebhookFailure(ctx, event, {
      reason: "invalid_metadata",
      details: { checkout_session_id: session.id },
    });
  }
  if (session.payment_status !== "paid") {
    // Paid later by an asynchronous method: checkout.session.async_payment_succeeded fulfils it.
    await ctx.db.batch([buildStripeEventInsert(ctx.db, eventRowOf(event))]);
    return "unchanged";
  }
  const organization = await findOrganizationCustomer(ctx.db, metadata.organizationId);
  if (!organization) {
    return recordWebhookFailure(ctx, event, {
      reason: "unknown_organization",
      details: { checkout_session_id: session.id },
    });
  }
  // Defence in depth: the session was created for this organization's own customer.
  if (!organization.stripeCustomerId || organization.stripeCustomerId !== idOf(session.customer)) {
    return recordWebhookFailure(ctx, event, {
      reason: "customer_mismatch",
      organizationId: organization.id,
      details: { checkout_session_id: session.id },
    });
  }
  const { credited } = await fulfilCreditPurchase(ctx, {
    sessionId: session.id,
    paymentIntentId: idOf(session.payment_intent),
    metadata,
    actorUserId: null,
    event: eventRowOf(event),
  });
  // Not credited: verify got there first; the event is recorded all the same.
  return credited ? "applied" : "unchanged";
}
