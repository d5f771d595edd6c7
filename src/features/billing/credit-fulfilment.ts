// Crediting a paid credit pack: once per Checkout Session, whether the webhook or verify gets there first.
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import type Stripe from "stripe";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { buildCreditBalanceIncrement, buildCreditTransactionInsert, type CreditPurchase } from "./credit-repo";
import { buildStripeEventInsert, type StripeEventRow } from "./stripe-event-repo";

/** metadata.kind of the Checkout Sessions this API creates for credit packs. */
export const CREDIT_PACK_KIND = "credit_pack";

export interface CreditPackMetadata {
  organizationId: string;
  packId: string;
  tokens: number;
}

/**
 * What the session was sold as, from the metadata written when it was created (checkout-service).
 * The tokens are the ones sold then, not today's pack definition. null: not a credit-pack session
 * of ours, or metadata that is not ours to trust.
 */
export function readCreditPackMetadata(session: Stripe.Checkout.Session): CreditPackMetadata | null {
  const metadata = session.metadata ?? {};
  if (session.mode !== "payment" || metadata.kind !== CREDIT_PACK_KIND) return null;
  const { organization_id: organizationId, pack_id: packId, tokens } = metadata;
  if (!organizationId || !packId || !tokens || !/^[1-9][0-9]{0,12}$/.test(tokens)) return null;
  return { organizationId, packId, tokens: Number(tokens) };
}

export interface FulfilmentResult {
  /** True only for the one call that moved the balance. */
  credited: boolean;
}

/**
 * One D1 batch (one transaction): [the Stripe event id, when the webhook fulfils], the ledger row
 * under the session's UNIQUE payment reference, the balance increment guarded by that row, and
 * the audit row if the balance moved. A duplicate inserts no ledger row, so the increment matches
 * nothing: exactly one credit per payment, however many deliveries and verifies race.
 */
export async function fulfilCreditPurchase(
  ctx: ServiceContext,
  input: {
    sessionId: string;
    paymentIntentId: string | null;
    metadata: CreditPackMetadata;
    actorUserId: string | null;
    event?: StripeEventRow;
  },
): Promise<FulfilmentResult> {
  const purchase: CreditPurchase = {
    transactionId: crypto.randomUUID(),
    organizationId: input.metadata.organizationId,
    tokens: input.metadata.tokens,
    paymentReference: input.sessionId,
    paymentIntentId: input.paymentIntentId,
    createdAt: Date.now(),
  };
  const audit: AuditEvent = {
    action: "credits_purchased",
    organizationId: purchase.organizationId,
    actorUserId: input.actorUserId,
    target: input.sessionId,
    ip: ctx.ip,
    details: { pack_id: input.metadata.packId, tokens: purchase.tokens, via: input.event ? "webhook" : "verify" },
  };
  const ledger = [
    buildCreditTransactionInsert(ctx.db, purchase),
    buildCreditBalanceIncrement(ctx.db, purchase),
    buildAuditInsertIfChanged(ctx, audit),
    // Only if the audit row went in, i.e. only if the balance moved (docs/webhooks.md).
    eventStatementIfChanged(ctx.db, {
      organizationId: purchase.organizationId,
      type: "credits.granted",
      data: { tokens: purchase.tokens, pack_id: input.metadata.packId },
    }),
  ] as const;
  const incremented = input.event
    ? (await ctx.db.batch([buildStripeEventInsert(ctx.db, input.event), ...ledger]))[2]
    : (await ctx.db.batch(ledger))[1];
  if (incremented.length === 0) return { credited: false };
  publishEventsLater(ctx);
  logAuditEvent(audit);
  return { credited: true };
}
