// Buying a credit pack: a Checkout Session with inline price data, and verifying it on return.
import { AppError } from "../../errors";
import type { ServiceContext } from "../../platform/service-context";
import type { Actor } from "../../platform/actor";
import { findOrganizationCustomer } from "./customer-repo";
import { ensureStripeCustomer } from "./customer-service";
import { findCreditPack } from "./credit-packs";
import { CREDIT_PACK_KIND, fulfilCreditPurchase, readCreditPackMetadata } from "./credit-fulfilment";
import { resolveReturnURL } from "./return-url";
import { callStripe } from "./stripe-errors";
import { idOf } from "./webhook-outcome";
import { requireStripeClient } from "./stripe-client";

/** Checkout Session ids as Stripe issues them; anything else is not looked up at all. */
const CHECKOUT_SESSION_ID = /^cs_(test|live)_[A-Za-z0-9]{1,250}$/;

const SESSION_NOT_FOUND = "No such checkout session.";

export async function createCreditPackCheckout(
  ctx: ServiceContext,
  actor: Actor,
  input: { packId: string; returnBaseURL: string },
): Promise<{ url: string; sessionId: string }> {
  const stripe = await requireStripeClient(ctx.config);
  const pack = await findCreditPack(ctx, actor, input.packId);
  const base = resolveReturnURL(ctx.config.webBaseURL, input.returnBaseURL, "return_base_url");
  const success = new URL(base);
  success.searchParams.set("credit_pack", "success");
  const cancel = new URL(base);
  cancel.searchParams.set("credit_pack", "canceled");
  // Checkout requires a customer, so the purchase lands on this organization's customer; one that
  // failed to be created in the background is created now.
  const customer = await ensureStripeCustomer(ctx, stripe, actor.organizationId);
  const metadata = {
    kind: CREDIT_PACK_KIND,
    organization_id: actor.organizationId,
    pack_id: pack.id,
    tokens: String(pack.tokens),
  };
  const session = await callStripe("checkout.sessions.create", () =>
    stripe.checkout.sessions.create({
      mode: "payment",
      customer,
      client_reference_id: actor.organizationId,
      line_items: [
        {
          quantity: 1,
          price_data: {
            currency: pack.currency,
            unit_amount: pack.price_cents,
            product_data: { name: pack.name, metadata: { pack_id: pack.id, tokens: String(pack.tokens) } },
          },
        },
      ],
      metadata,
      payment_intent_data: { metadata },
      // Stripe fills {CHECKOUT_SESSION_ID} in; URLSearchParams would escape its braces.
      success_url: `${success.toString()}&session_id={CHECKOUT_SESSION_ID}`,
      cancel_url: cancel.toString(),
    }),
  );
  if (!session.url) throw new Error("Stripe returned a Checkout Session without a URL");
  return { url: session.url, sessionId: session.id };
}

export type CheckoutStatus = "fulfilled" | "pending" | "expired";

/**
 * Asks Stripe about a session of the caller's organization and credits it if it is paid and the
 * webhook has not already (fulfilCreditPurchase credits once, whoever comes first). A session of
 * another organization is 404, exactly like one that does not exist.
 */
export async function verifyCreditPackCheckout(
  ctx: ServiceContext,
  actor: Actor,
  sessionId: string,
): Promise<{ status: CheckoutStatus; tokens: number; creditBalanceTokens: number }> {
  const stripe = await requireStripeClient(ctx.config);
  if (!CHECKOUT_SESSION_ID.test(sessionId)) throw new AppError("NOT_FOUND", SESSION_NOT_FOUND);
  const session = await callStripe("checkout.sessions.retrieve", () => stripe.checkout.sessions.retrieve(sessionId), {
    notFound: SESSION_NOT_FOUND,
  });
  const metadata = readCreditPackMetadata(session);
  if (!metadata || metadata.organizationId !== actor.organizationId) {
    throw new AppError("NOT_FOUND", SESSION_NOT_FOUND);
  }
  let status: CheckoutStatus = "pending";
  if (session.payment_status === "paid") {
    await fulfilCreditPurchase(ctx, {
      sessionId: session.id,
      paymentIntentId: idOf(session.payment_intent),
      metadata,
      actorUserId: actor.userId,
    });
    status = "fulfilled";
  } else if (session.status === "expired") {
    status = "expired";
  }
  const organization = await findOrganizationCustomer(ctx.db, actor.organizationId);
  return { status, tokens: metadata.tokens, creditBalanceTokens: organization?.creditBalanceTokens ?? 0 };
}
