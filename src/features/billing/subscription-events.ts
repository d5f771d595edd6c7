// customer.subscription.created / updated / deleted: the organization's plan and billing period.
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import type Stripe from "stripe";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { findOrganizationByStripeCustomer } from "./customer-repo";
import { buildStripeEventInsert } from "./stripe-event-repo";
import {
  buildSubscriptionUpdate,
  ENTITLING_STATUSES,
  findPlansByStripeProductIds,
  type SubscriptionState,
} from "./subscription-repo";
import { idOf, recordWebhookFailure, type WebhookResult } from "./webhook-outcome";

export type SubscriptionEvent =
  | Stripe.CustomerSubscriptionCreatedEvent
  | Stripe.CustomerSubscriptionUpdatedEvent
  | Stripe.CustomerSubscriptionDeletedEvent;

const LIFECYCLE_RANK: Record<SubscriptionEvent["type"], number> = {
  "customer.subscription.created": 0,
  "customer.subscription.updated": 1,
  "customer.subscription.deleted": 2,
};

/**
 * Where an event's snapshot sits in time, in ms. A subscription object carries no "updated at" of
 * its own: the event's `created` is when Stripe took the snapshot it carries, so it orders the
 * states (SEC-51). Stripe gives whole seconds and several events of one subscription often share
 * one (created, then updated as the first payment lands), so the spare milliseconds hold the
 * lifecycle order: within a second, updated beats created and deleted beats both, whatever order
 * they are delivered in. Two events of one kind in one second stay ambiguous; the later delivery
 * wins, as nothing in the payload can order them.
 */
function eventTimeOf(event: SubscriptionEvent): number {
  return event.created * 1000 + LIFECYCLE_RANK[event.type];
}

/**
 * The item's current period, in ms. Endpoints on API versions before 2025-03-31 send it on the
 * subscription instead; without either, metering falls back to calendar months (null).
 */
function billingPeriodOf(
  subscription: Stripe.Subscription,
  item: Stripe.SubscriptionItem,
): { start: number | null; end: number | null } {
  const legacy = subscription as { current_period_start?: unknown; current_period_end?: unknown };
  const seconds = (value: unknown, fallback: unknown) =>
    Number.isInteger(value)
      ? (value as number) * 1000
      : Number.isInteger(fallback)
        ? (fallback as number) * 1000
        : null;
  const start = seconds(item.current_period_start, legacy.current_period_start);
  const end = seconds(item.current_period_end, legacy.current_period_end);
  return start !== null && end !== null ? { start, end } : { start: null, end: null };
}

/**
 * The plan and period a deleted subscription had paid for, or null: its item of a mapped product
 * with a current period (none when the organization was downgraded for an unpaid invoice).
 */
async function findPaidPeriodEnd(
  ctx: ServiceContext,
  subscription: Stripe.Subscription,
  downgradedAt: number | null,
): Promise<{ planId: string; start: number; end: number } | null> {
  if (downgradedAt !== null || subscription.status === "unpaid" || subscription.status === "incomplete_expired") {
    return null;
  }
  const productIds = subscription.items.data.map((item) => idOf(item.price.product)).filter((id) => id !== null);
  const plans = await findPlansByStripeProductIds(ctx.db, productIds);
  for (const item of subscription.items.data) {
    const plan = plans.find((candidate) => candidate.stripeProductId === idOf(item.price.product));
    const period = billingPeriodOf(subscription, item);
    if (plan && period.start !== null && period.end !== null) {
      return { planId: plan.id, start: period.start, end: period.end };
    }
  }
  return null;
}

function isEntitling(status: Stripe.Subscription.Status): boolean {
  return (ENTITLING_STATUSES as readonly string[]).includes(status);
}

export async function applySubscriptionEvent(ctx: ServiceContext, event: SubscriptionEvent): Promise<WebhookResult> {
  const subscription = event.data.object;
  const customerId = idOf(subscription.customer);
  const organization = customerId ? await findOrganizationByStripeCustomer(ctx.db, customerId) : undefined;
  if (!organization) {
    return recordWebhookFailure(ctx, event, {
      reason: "unknown_customer",
      details: { stripe_customer_id: customerId },
    });
  }

  const ended = event.type === "customer.subscription.deleted";
  // past_due entitles during the grace period only: once the job has moved the organization to the
  // default plan for an unpaid invoice, Stripe's retries (still past_due) do not hand it back.
  const entitles =
    !ended &&
    isEntitling(subscription.status) &&
    !(subscription.status === "past_due" && organization.billingDowngradedAt !== null);
  const state: SubscriptionState = {
    planId: null,
    subscriptionId: subscription.id,
    status: subscription.status,
    periodStart: null,
    periodEnd: null,
    planEndsAt: null,
    eventAt: eventTimeOf(event),
  };
  if (ended) {
    // A subscription canceled before its paid period ran out keeps its plan until that period's
    // end (the maintenance job ends it then); one that ran out, or was unpaid, ends now.
    const paidUntil = await findPaidPeriodEnd(ctx, subscription, organization.billingDowngradedAt);
    if (paidUntil && paidUntil.end > Date.now()) {
      state.planId = paidUntil.planId;
      state.periodStart = paidUntil.start;
      state.periodEnd = paidUntil.end;
      state.planEndsAt = paidUntil.end;
    }
  } else {
    // The item whose product is mapped to a plan (PUT /admin/plans/{id} {stripe_product_id}).
    const productIds = subscription.items.data.map((item) => idOf(item.price.product)).filter((id) => id !== null);
    const plans = await findPlansByStripeProductIds(ctx.db, productIds);
    const item = subscription.items.data.find((candidate) =>
      plans.some((plan) => plan.stripeProductId === idOf(candidate.price.product)),
    );
    const plan = item && plans.find((candidate) => candidate.stripeProductId === idOf(item.price.product));
    if (!item || !plan) {
      // The organization keeps what it has: a plan is never guessed from a product we do not know.
      return recordWebhookFailure(ctx, event, {
        reason: "unknown_product",
        organizationId: organization.id,
        details: { stripe_product_ids: productIds, stripe_subscription_id: subscription.id },
      });
    }
    if (entitles) {
      state.planId = plan.id;
      const period = billingPeriodOf(subscription, item);
      state.periodStart = period.start;
      state.periodEnd = period.end;
    }
  }

  const audit: AuditEvent = {
    action: "subscription_changed",
    organizationId: organization.id,
    actorUserId: null,
    target: subscription.id,
    ip: ctx.ip,
    details: { stripe_event_id: event.id, event_type: event.type, status: subscription.status, plan_id: state.planId },
  };
  const [, updated] = await ctx.db.batch([
    buildStripeEventInsert(ctx.db, {
      id: event.id,
      type: event.type,
      objectCreatedAt: event.created * 1000,
      processedAt: Date.now(),
    }),
    buildSubscriptionUpdate(ctx.db, organization.id, state, { ended, entitles }),
    buildAuditInsertIfChanged(ctx, audit),
    // Only if the audit row went in, i.e. only if the update applied (docs/webhooks.md).
    eventStatementIfChanged(ctx.db, {
      organizationId: organization.id,
      type: "subscription.updated",
      data: {
        status: subscription.status,
        plan_id: state.planId,
        current_period_end: state.periodEnd === null ? null : new Date(state.periodEnd).toISOString(),
      },
    }),
  ]);
  if (updated.length === 0) return "unchanged";
  publishEventsLater(ctx);
  logAuditEvent(audit);
  return "applied";
}
