// One Stripe customer per organization: created in the background when the organization is
// created, retried at later logins if that failed, and on demand by the billing routes.
import type Stripe from "stripe";
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";
import { claimStripeCustomer, findOrganizationCustomer } from "./customer-repo";
import { findStripeClient, isStripeConfigured } from "./stripe-client";
import { callStripe } from "./stripe-errors";

/**
 * The organization's customer id, creating the customer if it has none. Every attempt for one
 * organization sends the same idempotency key, so Stripe answers retries and races with the
 * same customer (for 24 hours); the id is recorded with a compare-and-set, so whatever happens
 * the organization ends up with exactly one mapping. The parameters are the same at every
 * attempt too (Stripe refuses a reused key with other parameters): no email, which would differ
 * between an organization created by a sys_admin and the same one after its admin joined; Checkout
 * and the portal collect the billing email.
 */
export async function ensureStripeCustomer(
  ctx: ServiceContext,
  stripe: Stripe,
  organizationId: string,
): Promise<string> {
  const organization = await findOrganizationCustomer(ctx.db, organizationId);
  if (!organization) throw new AppError("NOT_FOUND", "Organization not found.");
  if (organization.stripeCustomerId) return organization.stripeCustomerId;

  const customer = await callStripe("customers.create", () =>
    stripe.customers.create(
      { name: organization.name, metadata: { organization_id: organizationId } },
      { idempotencyKey: `org-customer-${organizationId}` },
    ),
  );
  const [claimed] = await claimStripeCustomer(ctx.db, organizationId, customer.id);
  if (claimed) {
    logEvent("info", "stripe_customer_created", { organization_id: organizationId, stripe_customer_id: customer.id });
    return customer.id;
  }
  // Another attempt recorded first. With the shared key it recorded this same customer; only
  // past Stripe's 24-hour key window can this one be a second customer, left unused in Stripe.
  const recorded = (await findOrganizationCustomer(ctx.db, organizationId))?.stripeCustomerId;
  if (!recorded) throw new Error("the organization's Stripe customer could not be recorded");
  if (recorded !== customer.id) {
    logEvent("warn", "stripe_customer_unused", {
      organization_id: organizationId,
      stripe_customer_id: recorded,
      unused_stripe_customer_id: customer.id,
    });
  }
  return recorded;
}

/**
 * Called by every path that creates an organization (signup, signup-org, sys_admin create): the
 * customer is created after the response (waitUntil) and a failure is only logged, never felt by
 * the caller. Without Stripe configured it does nothing.
 */
export function onOrganizationCreated(ctx: ServiceContext, organizationId: string): void {
  if (!isStripeConfigured(ctx.config)) return;
  ctx.defer(async () => {
    const stripe = await findStripeClient(ctx.config);
    if (stripe) await ensureStripeCustomer(ctx, stripe, organizationId);
  });
}

/**
 * After a successful login: if the organization still has no customer (creation failed, or it
 * was created by `npm run admin:create`), try again in the background. The read happens after
 * the response too, so a login never waits for billing.
 */
export function retryStripeCustomerIfMissing(ctx: ServiceContext, organizationId: string): void {
  if (!isStripeConfigured(ctx.config)) return;
  ctx.defer(async () => {
    const organization = await findOrganizationCustomer(ctx.db, organizationId);
    if (!organization || organization.stripeCustomerId) return;
    const stripe = await findStripeClient(ctx.config);
    if (stripe) await ensureStripeCustomer(ctx, stripe, organizationId);
  });
}
