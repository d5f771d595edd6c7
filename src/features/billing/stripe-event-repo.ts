// Stripe events already applied (SEC-51): the id is the primary key, inserted with the effect.
import { eq, lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { stripeEvents } from "../../db/schema";
import { deleteRowsBatch } from "../../db/delete-batch";

export interface StripeEventRow {
  id: string;
  type: string;
  /** When Stripe took the snapshot the event carries (event.created), in ms. */
  objectCreatedAt: number;
  processedAt: number;
}

export async function isStripeEventRecorded(db: Database, eventId: string): Promise<boolean> {
  const row = await db.select({ id: stripeEvents.id }).from(stripeEvents).where(eq(stripeEvents.id, eventId)).get();
  return row !== undefined;
}

/**
 * The first statement of an event's batch: on a replay the primary key refuses it, D1 rolls the
 * whole batch back, and the effect is not applied a second time.
 */
export function buildStripeEventInsert(db: Database, row: StripeEventRow) {
  return db.insert(stripeEvents).values(row);
}

export function isStripeEventReplay(error: unknown): boolean {
  const text = String(error instanceof Error && error.cause ? `${error.message} ${String(error.cause)}` : error);
  return text.includes("UNIQUE constraint failed: stripe_event.id");
}

/**
 * Deletes up to batchSize recorded events processed before the cutoff; returns how many. The
 * cutoff must stay past Stripe's retry horizon (3 days): a forgotten id would be applied again.
 */
export async function deleteOldStripeEventsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  const { id, processedAt } = stripeEvents;
  return deleteRowsBatch(
    db,
    { table: stripeEvents, id, where: lt(processedAt, cutoff), oldestFirst: processedAt },
    batchSize,
  );
}
