// Dunning: invoice.payment_failed starts a grace period (BILLING_GRACE_DAYS) and tells the
// org_admins; invoice.paid ends it once nothing is left unpaid; when it runs out, the maintenance
// job moves the organization to the default plan (its data stays) and tells them. The
// maintenance job also ends the paid plan of a deleted subscription at the end of its paid period.
import type Stripe from "stripe";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { notifyOrgAdmins } from "./admin-notices";
import { findOrganizationByStripeCustomer } from "./customer-repo";
import {
  buildGraceEnd,
  buildGraceStart,
  buildInvoiceFailure,
  buildInvoicePaid,
  downgradeGraceExpired,
  endCanceledPlans,
} from "./dunning-repo";
import { buildStripeEventInsert } from "./stripe-event-repo";
import { idOf, recordWebhookFailure, stripeEventRowOf, type WebhookResult } from "./webhook-outcome";

export type InvoiceEvent = Stripe.InvoicePaymentFailedEvent | Stripe.InvoicePaidEvent;

const DAY_MS = 86_400_000;
/** Organizations per deadline step and run; the rest wait for the next run (every 15 minutes). */
const DEADLINE_LIMIT = 100;

function graceDaysOf(ctx: ServiceContext): number {
  return "problems" in ctx.config.billing ? 7 : ctx.config.billing.config.graceDays;
}

export async function applyInvoiceEvent(ctx: ServiceContext, event: InvoiceEvent): Promise<WebhookResult> {
  const invoice = event.data.object;
  const customerId = idOf(invoice.customer);
  const organization = customerId ? await findOrganizationByStripeCustomer(ctx.db, customerId) : undefined;
  if (!organization || !invoice.id) {
    return recordWebhookFailure(ctx, event, {
      reason: "unknown_customer",
      details: { stripe_customer_id: customerId },
    });
  }
  const now = Date.now();
  const row = { id: invoice.id, organizationId: organization.id, now };
  if (event.type === "invoice.payment_failed") {
    const graceEndsAt = now + graceDaysOf(ctx) * DAY_MS;
    const audit: AuditEvent = {
      action: "payment_failed",
      organizationId: organization.id,
      actorUserId: null,
      target: invoice.id,
      ip: ctx.ip,
      details: { stripe_event_id: event.id, grace_ends_at: new Date(graceEndsAt).toISOString() },
    };
    const [, , started] = await ctx.db.batch([
      buildStripeEventInsert(ctx.db, stripeEventRowOf(event)),
      buildInvoiceFailure(ctx.db, row),
      buildGraceStart(ctx.db, organization.id, graceEndsAt),
      buildAuditInsertIfChanged(ctx, audit),
    ]);
    if (started.length === 0) return "unchanged";
    logAuditEvent(audit);
    await notifyOrgAdmins(ctx, organization.id, {
      kind: "payment_failed",
      subject: "A payment failed: update your payment method",
      text:
        `The latest payment for your organization's subscription failed. Your plan stays as it is until ` +
        `${new Date(graceEndsAt).toUTCString()}; if the invoice is still unpaid then, your organization moves ` +
        `to the free plan (nothing is deleted). Update the payment method to keep your plan.`,
    });
    return "applied";
  }
  const audit: AuditEvent = {
    action: "payment_recovered",
    organizationId: organization.id,
    actorUserId: null,
    target: invoice.id,
    ip: ctx.ip,
    details: { stripe_event_id: event.id },
  };
  const [, , ended] = await ctx.db.batch([
    buildStripeEventInsert(ctx.db, stripeEventRowOf(event)),
    buildInvoicePaid(ctx.db, row),
    buildGraceEnd(ctx.db, organization.id),
    buildAuditInsertIfChanged(ctx, audit),
  ]);
  if (ended.length === 0) return "unchanged";
  logAuditEvent(audit);
  return "applied";
}

export interface DunningReport {
  downgraded: number;
  plans_ended: number;
}

/** The maintenance job's dunning step: grace periods and paid periods that have run out. */
export async function enforceBillingDeadlines(ctx: ServiceContext, now = Date.now()): Promise<DunningReport> {
  const downgraded = await downgradeGraceExpired(ctx.db, now, DEADLINE_LIMIT);
  for (const { id } of downgraded) {
    await buildAuditInsert(ctx, {
      action: "plan_downgraded_unpaid",
      organizationId: id,
      actorUserId: null,
      target: id,
      ip: null,
      details: { reason: "grace_period_ended" },
    });
    await notifyOrgAdmins(ctx, id, {
      kind: "plan_downgraded_unpaid",
      subject: "Your organization moved to the free plan",
      text:
        "An invoice of your organization stayed unpaid past its grace period, so it now has the free plan's " +
        "features and limits. Nothing was deleted. Pay the invoice to get your plan back.",
    });
  }
  const ended = await endCanceledPlans(ctx.db, now, DEADLINE_LIMIT);
  for (const { id } of ended) {
    logEvent("info", "canceled_plan_ended", { organization_id: id });
  }
  return { downgraded: downgraded.length, plans_ended: ended.length };
}
