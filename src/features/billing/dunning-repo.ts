// Dunning state (failed invoice payments, grace periods) and the deadlines the maintenance job
// enforces. Every change is a compare-and-set; the caller puts it in the event's batch.
import { and, eq, isNotNull, isNull, lte, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { invoicePayments, organizations } from "../../db/schema";

/** Records a failed payment of an invoice, unless the invoice is known (failed before, or paid). */
export function buildInvoiceFailure(db: Database, invoice: { id: string; organizationId: string; now: number }) {
  return db
    .insert(invoicePayments)
    .values({ invoiceId: invoice.id, organizationId: invoice.organizationId, status: "failed", updatedAt: invoice.now })
    .onConflictDoNothing({ target: invoicePayments.invoiceId })
    .returning({ invoiceId: invoicePayments.invoiceId });
}

/** Records the invoice paid, for good: a failure delivered later finds it and changes nothing. */
export function buildInvoicePaid(db: Database, invoice: { id: string; organizationId: string; now: number }) {
  return db
    .insert(invoicePayments)
    .values({ invoiceId: invoice.id, organizationId: invoice.organizationId, status: "paid", updatedAt: invoice.now })
    .onConflictDoUpdate({ target: invoicePayments.invoiceId, set: { status: "paid", updatedAt: invoice.now } });
}

/**
 * Starts the grace period if this batch just recorded a first failure of `invoiceId` (the insert
 * before it returned a row: changes() > 0) and none is running. Returns a row when it started one.
 */
export function buildGraceStart(db: Database, organizationId: string, graceEndsAt: number) {
  return db
    .update(organizations)
    .set({ billingGraceEndsAt: graceEndsAt })
    .where(and(eq(organizations.id, organizationId), isNull(organizations.billingGraceEndsAt), sql`changes() > 0`))
    .returning({ graceEndsAt: organizations.billingGraceEndsAt });
}

/**
 * Ends the grace period (and a downgrade it led to) once no invoice of the organization is left
 * unpaid. Returns a row when it ended one.
 */
export function buildGraceEnd(db: Database, organizationId: string) {
  return db
    .update(organizations)
    .set({ billingGraceEndsAt: null, billingDowngradedAt: null })
    .where(
      and(
        eq(organizations.id, organizationId),
        isNotNull(organizations.billingGraceEndsAt),
        sql`NOT EXISTS (SELECT 1 FROM ${invoicePayments} WHERE ${invoicePayments.organizationId} = ${organizationId} AND ${invoicePayments.status} = 'failed')`,
      ),
    )
    .returning({ id: organizations.id });
}

/**
 * Moves organizations whose grace period ended to the default plan (plan_id NULL), once each
 * (billing_downgraded_at is the CAS); their data stays. Returns who moved.
 */
export function downgradeGraceExpired(db: Database, now: number, limit: number) {
  return db
    .update(organizations)
    .set({ planId: null, billingDowngradedAt: now })
    .where(
      sql`${organizations.id} IN (SELECT id FROM ${organizations}
            WHERE billing_grace_ends_at IS NOT NULL AND billing_grace_ends_at <= ${now} AND billing_downgraded_at IS NULL
            LIMIT ${limit})`,
    )
    .returning({ id: organizations.id, planEndedFor: sql<string>`'unpaid'` });
}

/** Ends the paid plan of deleted subscriptions whose paid period is over (plan_ends_at). */
export function endCanceledPlans(db: Database, now: number, limit: number) {
  return db
    .update(organizations)
    .set({ planId: null, planEndsAt: null, currentPeriodStart: null, currentPeriodEnd: null })
    .where(
      and(
        lte(organizations.planEndsAt, now),
        sql`${organizations.id} IN (SELECT id FROM ${organizations} WHERE plan_ends_at IS NOT NULL AND plan_ends_at <= ${now} LIMIT ${limit})`,
      ),
    )
    .returning({ id: organizations.id });
}
