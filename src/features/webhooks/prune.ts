// Retention of the webhook tables, for the maintenance job: a published event and a delivery
// attempt are kept 30 days (the delivery log's horizon; retries end after about a day).
import { lt } from "drizzle-orm";
import type { Database } from "../../db/client";
import { deleteRowsBatch } from "../../db/delete-batch";
import { webhookDeliveries, webhookEvents } from "../../db/schema";
import { DAY_MS } from "../../lib/time";

export const WEBHOOK_RETENTION_MS = 30 * DAY_MS;

/** Published events older than the cutoff; unpublished ones stay until the producer sends them. */
export function deleteOldWebhookEventsBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  return deleteRowsBatch(
    db,
    { table: webhookEvents, id: webhookEvents.sequence, where: lt(webhookEvents.publishedAt, cutoff) },
    batchSize,
  );
}

export function deleteOldWebhookDeliveriesBatch(db: Database, cutoff: number, batchSize: number): Promise<number> {
  return deleteRowsBatch(
    db,
    { table: webhookDeliveries, id: webhookDeliveries.id, where: lt(webhookDeliveries.attemptedAt, cutoff) },
    batchSize,
  );
}
