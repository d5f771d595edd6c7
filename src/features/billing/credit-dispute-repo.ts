// Disputes of credit purchases (SEC-80): while one is open the ledger counts the organization's
// credits as 0 (features/ai/ledger-repo.ts reads this table in its reservation and settlement).
import { sql } from "drizzle-orm";
import type { Database } from "../../db/client";
import { creditDisputes, type CreditDisputeStatus } from "../../db/schema";

export interface DisputeRow {
  id: string;
  organizationId: string;
  chargeId: string;
  now: number;
}

/** Opens the dispute unless it is already known (open, or closed by an event that came first). */
export function buildDisputeOpen(db: Database, dispute: DisputeRow) {
  return db
    .insert(creditDisputes)
    .values({
      id: dispute.id,
      organizationId: dispute.organizationId,
      chargeId: dispute.chargeId,
      status: "open",
      createdAt: dispute.now,
    })
    .onConflictDoNothing({ target: creditDisputes.id })
    .returning({ id: creditDisputes.id });
}

/**
 * Closes it, whether or not its opening arrived (a close first is kept, and the late open then
 * inserts nothing). Returns a row only when this call closed an open or unknown dispute.
 */
export function buildDisputeClose(
  db: Database,
  dispute: DisputeRow & { outcome: Exclude<CreditDisputeStatus, "open"> },
) {
  return db
    .insert(creditDisputes)
    .values({
      id: dispute.id,
      organizationId: dispute.organizationId,
      chargeId: dispute.chargeId,
      status: dispute.outcome,
      createdAt: dispute.now,
      closedAt: dispute.now,
    })
    .onConflictDoUpdate({
      target: creditDisputes.id,
      set: { status: dispute.outcome, closedAt: dispute.now },
      setWhere: sql`${creditDisputes.status} = 'open'`,
    })
    .returning({ id: creditDisputes.id });
}
