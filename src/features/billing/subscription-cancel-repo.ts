// The subscription an organization pays with, read before the organization is deleted.
import { eq } from "drizzle-orm";
import type { Database } from "../../db/client";
import { organizations } from "../../db/schema";

export function findOrganizationSubscription(db: Database, organizationId: string) {
  return db
    .select({ stripeSubscriptionId: organizations.stripeSubscriptionId, status: organizations.subscriptionStatus })
    .from(organizations)
    .where(eq(organizations.id, organizationId))
    .get();
}
