// charge.refunded / charge.dispute.created / charge.dispute.closed on a credit-pack payment (SEC-80):
// refunded credits are taken back once, an open dispute freezes credit spending, a lost one takes
// back what is left of the purchase. Each in ONE batch with the event id (UNIQUE), so a replay or
// two deliveries at once roll back whole and debit nothing a second time.
import type Stripe from "stripe";
import type { ServiceContext } from "../../platform/service-context";
import { logEvent } from "../../lib/log";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { notifyOrgAdmins } from "./admin-notices";
import { buildDisputeClose, buildDisputeOpen } from "./credit-dispute-repo";
import {
  buildCreditReversalDebit,
  buildCreditReversalInsert,
  findCreditPurchaseByPaymentIntent,
  type CreditReversal,
} from "./credit-repo";
import { buildStripeEventInsert } from "./stripe-event-repo";
import { idOf, stripeEventRowOf, type WebhookResult } from "./webhook-outcome";

export type CreditReversalEvent =
  | Stripe.ChargeRefundedEvent
  | Stripe.ChargeDisputeCreatedEvent
  | Stripe.ChargeDisputeClosedEvent;

/**
 * The credit purchase the payment was, or null: a charge we never sold credits for (a subscription
 * invoice, another product on the account). Recorded as processed and logged: nothing to change.
 */
async function findPurchase(ctx: ServiceContext, event: CreditReversalEvent, paymentIntentId: string | null) {
  const purchase = paymentIntentId ? await findCreditPurchaseByPaymentIntent(ctx.db, paymentIntentId) : undefined;
  if (purchase) return purchase;
  logEvent("info", "stripe_charge_not_a_credit_purchase", {
    stripe_event_id: event.id,
    event_type: event.type,
    payment_intent_id: paymentIntentId,
  });
  await ctx.db.batch([buildStripeEventInsert(ctx.db, stripeEventRowOf(event))]);
  return null;
}

/** Takes back a reversal's credits in the event's batch; true when the balance moved. */
async function reverseCredits(
  ctx: ServiceContext,
  event: CreditReversalEvent,
  reversal: CreditReversal,
  audit: AuditEvent,
  extra: Parameters<typeof ctx.db.batch>[0][number][] = [],
): Promise<{ debited: number; balance: number } | null> {
  const [, , debit] = await ctx.db.batch([
    buildStripeEventInsert(ctx.db, stripeEventRowOf(event)),
    buildCreditReversalInsert(ctx.db, reversal),
    buildCreditReversalDebit(ctx.db, reversal.transactionId),
    buildAuditInsertIfChanged(ctx, audit),
    ...extra,
  ]);
  const row = (debit as { creditBalanceTokens: number; debited: number }[])[0];
  return row ? { debited: row.debited, balance: row.creditBalanceTokens } : null;
}

async function applyRefund(ctx: ServiceContext, event: Stripe.ChargeRefundedEvent): Promise<WebhookResult> {
  const charge = event.data.object;
  const paymentIntentId = idOf(charge.payment_intent);
  const purchase = await findPurchase(ctx, event, paymentIntentId);
  if (!purchase || !paymentIntentId) return "unchanged";
  const audit: AuditEvent = {
    action: "credits_refunded",
    organizationId: purchase.organizationId,
    actorUserId: null,
    target: charge.id,
    ip: ctx.ip,
    details: { stripe_event_id: event.id, amount: charge.amount, amount_refunded: charge.amount_refunded },
  };
  const moved = await reverseCredits(
    ctx,
    event,
    {
      transactionId: crypto.randomUUID(),
      kind: "refund",
      paymentIntentId,
      reference: event.id,
      refundedShare: { refunded: charge.amount_refunded, amount: Math.max(charge.amount, 1) },
      createdAt: Date.now(),
    },
    audit,
  );
  if (!moved) return "unchanged";
  logAuditEvent({ ...audit, details: { ...audit.details, tokens_debited: moved.debited, balance: moved.balance } });
  return "applied";
}

async function applyDisputeCreated(
  ctx: ServiceContext,
  event: Stripe.ChargeDisputeCreatedEvent,
): Promise<WebhookResult> {
  const dispute = event.data.object;
  const purchase = await findPurchase(ctx, event, idOf(dispute.payment_intent));
  if (!purchase) return "unchanged";
  const audit: AuditEvent = {
    action: "credits_dispute_opened",
    organizationId: purchase.organizationId,
    actorUserId: null,
    target: dispute.id,
    ip: ctx.ip,
    details: { stripe_event_id: event.id, charge_id: idOf(dispute.charge), reason: dispute.reason },
  };
  const [, opened] = await ctx.db.batch([
    buildStripeEventInsert(ctx.db, stripeEventRowOf(event)),
    buildDisputeOpen(ctx.db, {
      id: dispute.id,
      organizationId: purchase.organizationId,
      chargeId: idOf(dispute.charge) ?? "",
      now: Date.now(),
    }),
    buildAuditInsertIfChanged(ctx, audit),
  ]);
  if (opened.length === 0) return "unchanged";
  logAuditEvent(audit);
  await notifyOrgAdmins(ctx, purchase.organizationId, {
    kind: "credit_dispute_opened",
    subject: "A credit purchase is disputed: AI credits are frozen",
    text:
      "A payment for AI credits of your organization was disputed with the card issuer. Until the dispute " +
      "is resolved, your organization cannot spend credits (its plan allotment still applies). If the " +
      "dispute is lost, the credits of that purchase are taken back.",
  });
  return "applied";
}

async function applyDisputeClosed(ctx: ServiceContext, event: Stripe.ChargeDisputeClosedEvent): Promise<WebhookResult> {
  const dispute = event.data.object;
  const paymentIntentId = idOf(dispute.payment_intent);
  const purchase = await findPurchase(ctx, event, paymentIntentId);
  if (!purchase || !paymentIntentId) return "unchanged";
  // Stripe closes a dispute as won, lost, or warning_closed (an inquiry that never became a
  // chargeback): only a lost one takes money back.
  const outcome = dispute.status === "lost" ? "lost" : "won";
  const now = Date.now();
  const close = buildDisputeClose(ctx.db, {
    id: dispute.id,
    organizationId: purchase.organizationId,
    chargeId: idOf(dispute.charge) ?? "",
    outcome,
    now,
  });
  const audit: AuditEvent = {
    action: "credits_dispute_closed",
    organizationId: purchase.organizationId,
    actorUserId: null,
    target: dispute.id,
    ip: ctx.ip,
    details: { stripe_event_id: event.id, status: dispute.status, outcome },
  };
  if (outcome === "won") {
    const [, closed] = await ctx.db.batch([
      buildStripeEventInsert(ctx.db, stripeEventRowOf(event)),
      close,
      buildAuditInsertIfChanged(ctx, audit),
    ]);
    if (closed.length === 0) return "unchanged";
    logAuditEvent(audit);
    return "applied";
  }
  // Lost: the close and the debit of everything left of the purchase, in one batch.
  const moved = await reverseCredits(
    ctx,
    event,
    {
      transactionId: crypto.randomUUID(),
      kind: "dispute_lost",
      paymentIntentId,
      reference: event.id,
      refundedShare: null,
      createdAt: now,
    },
    audit,
    [close],
  );
  logAuditEvent({ ...audit, details: { ...audit.details, tokens_debited: moved?.debited ?? 0 } });
  return "applied";
}

export function applyCreditReversalEvent(ctx: ServiceContext, event: CreditReversalEvent): Promise<WebhookResult> {
  switch (event.type) {
    case "charge.refunded":
      return applyRefund(ctx, event);
    case "charge.dispute.created":
      return applyDisputeCreated(ctx, event);
    case "charge.dispute.closed":
      return applyDisputeClosed(ctx, event);
  }
}
