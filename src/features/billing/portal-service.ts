// POST /subscription/manage: a Stripe Customer Portal session for the caller's organization.
import type { ServiceContext } from "../../platform/service-context";
import type { Actor } from "../../platform/actor";
import { ensureStripeCustomer } from "./customer-service";
import { resolveReturnURL } from "./return-url";
import { callStripe } from "./stripe-errors";
import { requireStripeClient } from "./stripe-client";

export async function createPortalSession(
  ctx: ServiceContext,
  actor: Actor,
  input: { returnURL: string },
): Promise<string> {
  const stripe = await requireStripeClient(ctx.config);
  const returnURL = resolveReturnURL(ctx.config.webBaseURL, input.returnURL, "return_url");
  // A customer whose background creation failed is created now, with the same idempotency key.
  const customer = await ensureStripeCustomer(ctx, stripe, actor.organizationId);
  const session = await callStripe("billingPortal.sessions.create", () =>
    stripe.billingPortal.sessions.create({ customer, return_url: returnURL.toString() }),
  );
  return session.url;
}
