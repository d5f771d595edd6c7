// Webhook endpoint, event and delivery rows. Endpoint queries filter by (organization_id, id).
import { and, asc, count, desc, eq, isNull } from "drizzle-orm";
import type { Database } from "../../db/client";
import { memberships, users, webhookDeliveries, webhookEndpoints, webhookEvents } from "../../db/schema";
import type { PageRequest } from "../../lib/pagination";

export type EndpointRow = typeof webhookEndpoints.$inferSelect;
export type DeliveryRow = typeof webhookDeliveries.$inferSelect;
export type EventRow = typeof webhookEvents.$inferSelect;

export function listEndpointRows(db: Database, organizationId: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.organizationId, organizationId))
    .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
}

export async function countEndpoints(db: Database, organizationId: string): Promise<number> {
  const row = await db
    .select({ n: count() })
    .from(webhookEndpoints)
    .where(eq(webhookEndpoints.organizationId, organizationId))
    .get();
  return row?.n ?? 0;
}

export function findEndpoint(db: Database, organizationId: string, endpointId: string) {
  return db
    .select()
    .from(webhookEndpoints)
    .where(and(eq(webhookEndpoints.organizationId, organizationId), eq(webhookEndpoints.id, endpointId)))
    .get();
}

export function insertEndpoint(db: Database, row: EndpointRow) {
  return db.insert(webhookEndpoints).values(row);
}

/** Deletes the endpoint and (ON DELETE CASCADE) its delivery log. */
export function deleteEndpointRow(db: Database, organizationId: string, endpointId: string) {
  return db
    .delete(webhookEndpoints)
    .where(and(eq(webhookEndpoints.organizationId, organizationId), eq(webhookEndpoints.id, endpointId)))
    .returning({ id: webhookEndpoints.id });
}

export function listDeliveryRows(db: Database, endpointId: string, page: PageRequest) {
  return db
    .select()
    .from(webhookDeliveries)
    .where(eq(webhookDeliveries.endpointId, endpointId))
    .orderBy(desc(webhookDeliveries.id))
    .limit(page.limit + 1)
    .offset(page.offset);
}

/** An event row that is already published: ping goes straight to its one endpoint. */
export function insertPublishedEvent(db: Database, row: Omit<EventRow, "sequence" | "claimedUntil">) {
  return db.insert(webhookEvents).values({ ...row, claimedUntil: null });
}

/** What a delivery needs: the endpoint (any organization: the message names it) and the event. */
export async function findDeliveryTarget(db: Database, endpointId: string, eventId: string) {
  const [endpoint, event] = await db.batch([
    db.select().from(webhookEndpoints).where(eq(webhookEndpoints.id, endpointId)),
    db.select().from(webhookEvents).where(eq(webhookEvents.id, eventId)),
  ]);
  const found = { endpoint: endpoint[0], event: event[0] };
  return found.endpoint && found.event && found.endpoint.organizationId === found.event.organizationId
    ? { endpoint: found.endpoint, event: found.event }
    : null;
}

export function buildDeliveryInsert(db: Database, row: Omit<DeliveryRow, "id">) {
  return db.insert(webhookDeliveries).values(row);
}

/** A success ends the endpoint's failing run. */
export function buildFailureReset(db: Database, endpointId: string) {
  return db.update(webhookEndpoints).set({ failingSince: null }).where(eq(webhookEndpoints.id, endpointId));
}

/** Starts the failing run at `now` unless one is running (compare-and-set: the first failure wins). */
export function buildFailureStart(db: Database, endpointId: string, now: number) {
  return db
    .update(webhookEndpoints)
    .set({ failingSince: now })
    .where(and(eq(webhookEndpoints.id, endpointId), isNull(webhookEndpoints.failingSince)));
}

/** Disables the endpoint once: only the call that returns a row tells the admins. */
export function buildEndpointDisable(db: Database, endpointId: string, now: number) {
  return db
    .update(webhookEndpoints)
    .set({ disabledAt: now })
    .where(and(eq(webhookEndpoints.id, endpointId), isNull(webhookEndpoints.disabledAt)))
    .returning({ id: webhookEndpoints.id });
}

/** The active org_admins' addresses, to tell them an endpoint was disabled. */
export async function listOrganizationAdminEmails(db: Database, organizationId: string): Promise<string[]> {
  const rows = await db
    .select({ email: users.email })
    .from(memberships)
    .innerJoin(users, eq(users.id, memberships.userId))
    .where(
      and(eq(memberships.organizationId, organizationId), eq(memberships.role, "org_admin"), isNull(users.suspendedAt)),
    );
  return rows.map((row) => row.email);
}
