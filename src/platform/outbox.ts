// The webhook outbox (docs/webhooks.md): a feature adds eventStatement() to the D1 batch of the
// change it reports, so the event is stored if and only if the change commits; publishEventsLater()
// then moves new events to the Queue after the response (waitUntil), and the maintenance job
// moves any a dead Worker left behind. Delivery (signing, retries) is features/webhooks'.
// Pattern: https://microservices.io/patterns/data/transactional-outbox.html
import { and, asc, inArray, isNull, lt, or, sql } from "drizzle-orm";
import type { Database } from "../db/client";
import { webhookEndpoints, webhookEvents } from "../db/schema";
import type { WebhookDeliveryMessage } from "../env";
import { logEvent } from "../lib/log";
import type { ServiceContext } from "./service-context";

/** Every event type an endpoint may subscribe to (API.md, "Outbound webhooks"). */
export const WEBHOOK_EVENT_TYPES = [
  "member.added",
  "member.removed",
  "member.role_changed",
  "invitation.accepted",
  "subscription.updated",
  "credits.granted",
  "usage.threshold_reached",
  "ping",
] as const;

export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

export interface WebhookEventInput {
  organizationId: string;
  type: WebhookEventType;
  /** The event's `data`: ids and values a receiver needs, never a secret or a token. */
  data: Record<string, unknown>;
}

/** `msg_` + a random UUID: the webhook-id every delivery of the event carries (SEC-76). */
export function newEventId(): string {
  return `msg_${crypto.randomUUID().replaceAll("-", "")}`;
}

/** The insert of an event, to put in the same batch as the change it reports. */
export function eventStatement(db: Database, event: WebhookEventInput) {
  return db.insert(webhookEvents).values({
    id: newEventId(),
    organizationId: event.organizationId,
    type: event.type,
    data: event.data,
    createdAt: Date.now(),
  });
}

/**
 * The insert of an event that happened only if the statement just before it in the batch changed
 * a row (SQLite's changes()), for a change made by compare-and-set: a CAS that matched nothing
 * leaves no event. Place it right after the change, or after another *IfChanged insert.
 */
export function eventStatementIfChanged(db: Database, event: WebhookEventInput) {
  // drizzle's insert-select needs every column, in table order.
  const row = db
    .select({
      sequence: sql<number>`NULL`.as("sequence"),
      id: sql<string>`${newEventId()}`.as("id"),
      organizationId: sql<string>`${event.organizationId}`.as("organization_id"),
      type: sql<string>`${event.type}`.as("type"),
      data: sql<string>`${JSON.stringify(event.data)}`.as("data"),
      createdAt: sql<number>`${Date.now()}`.as("created_at"),
      claimedUntil: sql<number | null>`NULL`.as("claimed_until"),
      publishedAt: sql<number | null>`NULL`.as("published_at"),
    })
    .from(sql`(SELECT 1)`)
    .where(sql`changes() > 0`);
  return db.insert(webhookEvents).select(row as never);
}

/** After the response: moves the events the request committed to the Queue. Call after the batch. */
export function publishEventsLater(ctx: ServiceContext): void {
  ctx.defer(() => publishOutbox(ctx.db, ctx.env.WEBHOOK_QUEUE));
}

/**
 * Events claimed per round: their sequences are bound parameters of the statement that marks them
 * published, and D1 allows 100 per statement (https://developers.cloudflare.com/d1/platform/limits/).
 */
const CLAIM_LIMIT = 50;
/** Queue messages per sendBatch (the Queues limit is 100). */
const SEND_BATCH_LIMIT = 100;
/** A claim lapses after this long, so events claimed by a Worker that died are claimed again. */
const CLAIM_LEASE_MS = 60_000;

export interface PublishReport {
  events: number;
  messages: number;
}

/**
 * Claims unpublished events (oldest first) with a lease, sends one message per subscribed, enabled
 * endpoint, then marks them published. Two producers never claim the same row at once (the claim
 * is a compare-and-set); a producer that dies after sending and before marking leaves the rows to
 * be sent again when the lease lapses: delivery is at least once, never lost (SEC-76).
 */
export async function publishOutbox(db: Database, queue: Queue<WebhookDeliveryMessage>): Promise<PublishReport> {
  const report: PublishReport = { events: 0, messages: 0 };
  for (;;) {
    const claimed = await claimEvents(db, Date.now());
    if (claimed.length === 0) return report;
    const messages = await fanOut(db, claimed);
    for (let start = 0; start < messages.length; start += SEND_BATCH_LIMIT) {
      await queue.sendBatch(messages.slice(start, start + SEND_BATCH_LIMIT).map((body) => ({ body })));
    }
    await db
      .update(webhookEvents)
      .set({ publishedAt: Date.now(), claimedUntil: null })
      .where(
        inArray(
          webhookEvents.sequence,
          claimed.map((event) => event.sequence),
        ),
      );
    report.events += claimed.length;
    report.messages += messages.length;
    if (messages.length > 0) logEvent("info", "webhook_events_published", { ...report });
    if (claimed.length < CLAIM_LIMIT) return report;
  }
}

function claimEvents(db: Database, now: number) {
  const claimable = and(
    isNull(webhookEvents.publishedAt),
    or(isNull(webhookEvents.claimedUntil), lt(webhookEvents.claimedUntil, now)),
  );
  const oldest = db
    .select({ sequence: webhookEvents.sequence })
    .from(webhookEvents)
    .where(claimable)
    .orderBy(asc(webhookEvents.sequence))
    .limit(CLAIM_LIMIT);
  return db
    .update(webhookEvents)
    .set({ claimedUntil: now + CLAIM_LEASE_MS })
    .where(and(inArray(webhookEvents.sequence, oldest), claimable))
    .returning({
      sequence: webhookEvents.sequence,
      id: webhookEvents.id,
      organizationId: webhookEvents.organizationId,
      type: webhookEvents.type,
    });
}

/** The messages for the claimed events, in commit order, to each enabled endpoint subscribed. */
async function fanOut(
  db: Database,
  events: { sequence: number; id: string; organizationId: string; type: string }[],
): Promise<WebhookDeliveryMessage[]> {
  const organizationIds = [...new Set(events.map((event) => event.organizationId))];
  const endpoints = await db
    .select({
      id: webhookEndpoints.id,
      organizationId: webhookEndpoints.organizationId,
      eventTypes: webhookEndpoints.eventTypes,
    })
    .from(webhookEndpoints)
    .where(and(inArray(webhookEndpoints.organizationId, organizationIds), isNull(webhookEndpoints.disabledAt)));
  const messages: WebhookDeliveryMessage[] = [];
  for (const event of [...events].sort((a, b) => a.sequence - b.sequence)) {
    for (const endpoint of endpoints) {
      if (endpoint.organizationId !== event.organizationId) continue;
      // ping is sent to the one endpoint it tests (features/webhooks), never fanned out.
      if (event.type === "ping" || !endpoint.eventTypes.includes(event.type)) continue;
      messages.push({ eventId: event.id, endpointId: endpoint.id });
    }
  }
  return messages;
}
