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
