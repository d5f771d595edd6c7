// Plan catalogue rows and each organization's resolved plan. No rules here.
import { and, asc, eq, ne, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database } from "../../db/client";
import { organizations, plans } from "../../db/schema";

export type PlanRow = typeof plans.$inferSelect;

export function listPlanRows(db: Database) {
  return db.select().from(plans).orderBy(asc(plans.createdAt), asc(plans.name));
}

export function findPlanRow(db: Database, planId: string) {
  return db.select().from(plans).where(eq(plans.id, planId)).get();
}

export function buildPlanInsert(db: Database, row: PlanRow) {
  return db.insert(plans).values(row).returning();
}

export function buildPlanUpdate(
  db: Database,
  planId: string,
  changes: { name: string; stripeProductId: string | null; features: string; updatedAt: number },
) {
  return db.update(plans).set(changes).where(eq(plans.id, planId)).returning();
}

/** Deletes a plan that is neither the default nor any organization's current plan. */
export function buildUnusedPlanDeletion(db: Database, planId: string) {
  return db
    .delete(plans)
    .where(
      and(
        eq(plans.id, planId),
        eq(plans.isDefault, false),
        sql`NOT EXISTS (SELECT 1 FROM organization WHERE organization.plan_id = ${planId})`,
      ),
    )
    .returning({ id: plans.id });
}

/** Moves the default flag in one batch; the partial unique index keeps it single. */
export function buildDefaultPlanSwitch(db: Database, planId: string, now: number) {
  return [
    // Only when the new default exists, so an unknown id never leaves the catalogue without one.
    db
      .update(plans)
      .set({ isDefault: false, updatedAt: now })
      .where(
        and(eq(plans.isDefault, true), ne(plans.id, planId), sql`EXISTS (SELECT 1 FROM plan WHERE id = ${planId})`),
      ),
    db.update(plans).set({ isDefault: true, updatedAt: now }).where(eq(plans.id, planId)).returning({ id: plans.id }),
  ] as const;
}

const subscribedPlan = alias(plans, "subscribed_plan");
const defaultPlan = alias(plans, "default_plan");

/**
 * The organization's billing state with its Stripe-driven plan and the default plan, in one
 * read: the caller takes the first that exists (a plan_id whose plan was deleted falls back).
 */
export function findOrganizationBilling(db: Database, organizationId: string) {
  return db
    .select({
      organizationId: organizations.id,
      stripeSubscriptionId: organizations.stripeSubscriptionId,
      subscriptionStatus: organizations.subscriptionStatus,
      currentPeriodStart: organizations.currentPeriodStart,
      currentPeriodEnd: organizations.currentPeriodEnd,
      subscribedPlan: subscribedPlan,
      defaultPlan: defaultPlan,
    })
    .from(organizations)
    .leftJoin(subscribedPlan, eq(subscribedPlan.id, organizations.planId))
    .leftJoin(defaultPlan, eq(defaultPlan.isDefault, true))
    .where(eq(organizations.id, organizationId))
    .get();
}
