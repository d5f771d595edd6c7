// The organization's side of its Stripe customer: reading it and recording it exactly once.
import { and, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client";
import { organizations } from "../../db/schema";

export function findOrganizationCustomer(db: Database, organizationId: string) {
  return db
    .select({
      id: organizations.id,
      name: organizations.name,
      stripeCustomerId: organizations.stripeCustomerId,
      creditBalanceTokens: organizations.creditBalanceTokens,
    })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .get();
}

/**
 * Records the customer id only while none is recorded (compare-and-set): of two attempts that
 * race, one writes and the other matches no row, so an organization never has two mappings.
 */
export function claimStripeCustomer(db: Database, organizationId: string, customerId: string) {
  return db
    .update(organizations)
    .set({ stripeCustomerId: customerId })
    .where(and(eq(organizations.id, organizationId), isNull(organizations.stripeCustomerId)))
    .returning({ id: organizations.id });
}

export function findOrganizationByStripeCustomer(db: Database, customerId: string) {
  return db
    .select({
      id: organizations.id,
      stripeCustomerId: organizations.stripeCustomerId,
      billingDowngradedAt: organizations.billingDowngradedAt,
    })
    .from(organizations)
    .where(eq(organizations.stripeCustomerId, customerId))
    .get();
}
