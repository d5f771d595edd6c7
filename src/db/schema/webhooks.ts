// Outbound webhooks (docs/webhooks.md): the endpoints an organization registered, the outbox of
// events written in the same batch as the change they report, and one row per delivery attempt.
import { sqliteTable, text, integer, index, uniqueIndex } from "drizzle-orm/sqlite-core";
import { organizations } from "./organizations";

export const webhookEndpoints = sqliteTable(
  "webhook_endpoint",
  {
    id: text("id").primaryKey(),
    organizationId: text("organization_id")
      .notNull()
      .references(() => organizations.id, { onDelete: "cascade" }),
    url: text("url").notNull(),
    description: text("description"),
    /** The event types it subscribed to, as a JSON array. */
    eventTypes: text("event_types", { mode: "json" }).notNull().$type<string[]>(),
    /** The `whsec_…` signing secret, AES-GCM encrypted (src/lib/encryption.ts); never stored in clear (SEC-75). */
    secretCiphertext: text("secret_ciphertext").notNull(),
    createdAt: integer("created_at").notNull(),
    /** When its current run of failed deliveries began; null while it delivers (SEC-76). */
    failingSince: integer("failing_since"),
    /** Set when it failed for a day; a disabled endpoint receives nothing more. */
    disabledAt: integer("disabled_at"),
  },
  (table) => [index("webhook_endpoint_org_idx").on(table.organizationId, table.createdAt)],
);

/**
 * The outbox: one row per event, inserted in the same D1 batch as the change it reports, so an
 * event exists if and only if its change committed. `sequence` is the commit order; a producer
 * claims unpublished rows with a lease (claimed_until) and marks them published once the Queue
 * accepted them, so a Worker that dies in between leaves them for the next producer run.
 */
export const webhookEvents = sqliteTable(
  "webhook_event",
  {
    sequence: integer("sequence").primaryKey({ autoIncrement: true }),
    /** `msg_…`: the webhook-id of every delivery of this event, stable across retries (SEC-76). */
    id: text("id").notNull(),
    organizationId: text("organization_id").notNull(),
    type: text("type").notNull(),
    data: text("data", { mode: "json" }).notNull().$type<Record<string, unknown>>(),
    createdAt: integer("created_at").notNull(),
    claimedUntil: integer("claimed_until"),
    publishedAt: integer("published_at"),
  },
  (table) => [
    uniqueIndex("webhook_event_id_idx").on(table.id),
    index("webhook_event_unpublished_idx").on(table.publishedAt, table.sequence),
  ],
);

/** One row per delivery attempt of an event to an endpoint. */
export const webhookDeliveries = sqliteTable(
  "webhook_delivery",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    endpointId: text("endpoint_id")
      .notNull()
      .references(() => webhookEndpoints.id, { onDelete: "cascade" }),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    attempt: integer("attempt").notNull(),
    /** succeeded (2xx), retrying (a retry is scheduled), failed (no more retries). */
    outcome: text("outcome").notNull().$type<"succeeded" | "retrying" | "failed">(),
    /** The receiver's status, null when no response came (timeout, network error). */
    statusCode: integer("status_code"),
    /** At most 1 KiB of the response body, or the reason no response came (SEC-75). */
    responseExcerpt: text("response_excerpt"),
    nextRetryAt: integer("next_retry_at"),
    attemptedAt: integer("attempted_at").notNull(),
  },
  (table) => [index("webhook_delivery_endpoint_idx").on(table.endpointId, table.id)],
);
