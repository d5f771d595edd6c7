// The credit ledger: one transaction row per payment, and the balance it moves, in one batch.
import { and, eq, sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { creditTransactions, organizations } from "../../db/schema";

export interface CreditPurchase {
  /** A fresh id for this attempt's ledger row. */
  transactionId: string;
  organizationId: string;
  tokens: number;
  /** The Stripe Checkout Session id: UNIQUE, so one payment is one row, whoever records it. */
  paymentReference: string;
  /** The PaymentIntent that paid it, when Stripe says (refunds and disputes find the purchase by it). */
  paymentIntentId: string | null;
  createdAt: number;
}

/**
 * The ledger row, unless the payment already has one: a second fulfilment (the webhook after
 * verify, or the other way round, even at the same instant) inserts nothing.
 */
export function buildCreditTransactionInsert(db: Database, purchase: CreditPurchase) {
  return db
    .insert(creditTransactions)
    .values({
      id: purchase.transactionId,
      organizationId: purchase.organizationId,
      tokens: purchase.tokens,
      kind: "purchase",
      paymentReference: purchase.paymentReference,
      paymentIntentId: purchase.paymentIntentId,
      createdAt: purchase.createdAt,
    })
    .onConflictDoNothing({ target: creditTransactions.paymentReference });
}

/**
 * Adds the tokens only if this attempt's own ledger row exists, i.e. the insert just before it in
 * the same batch wrote it: the balance moves exactly once per payment reference. The balance
 * changes by one conditional UPDATE, never read-modify-write.
 */
export function buildCreditBalanceIncrement(db: Database, purchase: CreditPurchase) {
  return db
    .update(organizations)
    .set({ creditBalanceTokens: sql`${organizations.creditBalanceTokens} + ${purchase.tokens}` })
    .where(
      and(
        eq(organizations.id, purchase.organizationId),
        sql`EXISTS (SELECT 1 FROM ${creditTransactions} WHERE ${creditTransactions.id} = ${purchase.transactionId})`,
      ),
    )
    .returning({ creditBalanceTokens: organizations.creditBalanceTokens });
}

/** The credit purchase a Stripe PaymentIntent paid, or undefined (not a credit pack of ours). */
export function findCreditPurchaseByPaymentIntent(db: Database, paymentIntentId: string) {
  return db
    .select({ organizationId: creditTransactions.organizationId, tokens: creditTransactions.tokens })
    .from(creditTransactions)
    .where(and(eq(creditTransactions.paymentIntentId, paymentIntentId), eq(creditTransactions.kind, "purchase")))
    .get();
}

/**
 * Taking credits back from a purchase: a refund (its refunded share, cumulative as Stripe reports
 * amount_refunded) or a lost dispute (all of what is left of it).
 */
export interface CreditReversal {
  transactionId: string;
  kind: "refund" | "dispute_lost";
  paymentIntentId: string;
  /** The Stripe event id: UNIQUE as the payment reference, so one event debits at most once. */
  reference: string;
  /** Refund: the charge's amount_refunded and amount (minor units). Dispute lost: null (everything left). */
  refundedShare: { refunded: number; amount: number } | null;
  createdAt: number;
}

/**
 * The reversal row, holding minus what this event adds to the purchase's reversed total: its
 * target (the refunded share, rounded up, at most the purchase; or the whole purchase) minus what
 * earlier refunds and disputes already took. Computed in SQL from the rows this transaction sees,
 * so two partial refunds in any order debit their cumulative share once; nothing is inserted when
 * nothing is left to take.
 */
export function buildCreditReversalInsert(db: Database, reversal: CreditReversal) {
  // D1 binds JavaScript numbers as REAL: cast, so the division is SQLite's integer division.
  const share = reversal.refundedShare;
  const target = share
    ? sql`min(p.tokens, (p.tokens * CAST(${share.refunded} AS INTEGER) + CAST(${share.amount} AS INTEGER) - 1) / CAST(${share.amount} AS INTEGER))`
    : sql`p.tokens`;
  const already = sql`coalesce((SELECT -sum(t.tokens) FROM ${creditTransactions} t
      WHERE t.payment_intent_id = p.payment_intent_id AND t.kind IN ('refund', 'dispute_lost')), 0)`;
  return db.insert(creditTransactions).select(
    sql`SELECT ${reversal.transactionId}, p.organization_id, -(${target} - ${already}), ${reversal.kind},
               ${reversal.reference}, ${reversal.createdAt}, p.payment_intent_id
          FROM ${creditTransactions} p
         WHERE p.payment_intent_id = ${reversal.paymentIntentId} AND p.kind = 'purchase'
           AND ${target} - ${already} > 0
         LIMIT 1`,
  );
}

/**
 * Moves the balance by this attempt's reversal row, if the insert before it wrote one. The balance
 * may go negative (credits already spent): the ledger counts a negative balance as none, so credit
 * spending stops until purchases bring it above 0 again.
 */
export function buildCreditReversalDebit(db: Database, transactionId: string) {
  const row = sql`(SELECT t.tokens FROM ${creditTransactions} t WHERE t.id = ${transactionId})`;
  return db
    .update(organizations)
    .set({ creditBalanceTokens: sql`${organizations.creditBalanceTokens} + ${row}` })
    .where(
      sql`${organizations.id} = (SELECT t.organization_id FROM ${creditTransactions} t WHERE t.id = ${transactionId})`,
    )
    .returning({ creditBalanceTokens: organizations.creditBalanceTokens, debited: sql<number>`-${row}` });
}
