// What the webhook did with an event, and how a failure is recorded (SEC-49).
import type { ServiceContext } from "../../platform/service-context";
import type Stripe from "stripe";
import { recordAuditEvent } from "../audit/service";

/**
 * - applied: the event changed the organization;
 * - unchanged: recorded as processed, nothing to change (older than the state applied, not our
 *   object, payment still pending);
 * - ignored: a type this API does not handle; acknowledged and not recorded;
 * - already_processed: a replay of a recorded event; no effect;
 * - failed: could not be applied (unknown customer, product or organization); audited, NOT
 *   recorded, so the same event resent from the Stripe dashboard after the fix applies.
 */
export type WebhookResult = "applied" | "unchanged" | "ignored" | "already_processed" | "failed";

export const WEBHOOK_RESULTS = [
  "applied",
  "unchanged",
  "ignored",
  "already_processed",
  "failed",
] as const satisfies WebhookResult[];

export type WebhookFailureReason =
  | "unknown_customer"
  | "unknown_product"
  | "unknown_organization"
  | "customer_mismatch"
  | "invalid_metadata";

/**
 * A signed event that cannot be applied. Answered 200 all the same: Stripe's retries would meet
 * the same state, while an operator who fixes it (maps the product with PUT /admin/plans/{id})
 * resends the event from the dashboard. Logged and audited, in the organization's log when known.
 */
export async function recordWebhookFailure(
  ctx: ServiceContext,
  event: Stripe.Event,
  failure: { reason: WebhookFailureReason; organizationId?: string | null; details?: Record<string, unknown> },
): Promise<WebhookResult> {
  await recordAuditEvent(ctx, {
    action: "stripe_webhook_failed",
    organizationId: failure.organizationId ?? null,
    actorUserId: null,
    target: event.id,
    ip: ctx.ip,
    details: { reason: failure.reason, event_type: event.type, ...failure.details },
  });
  return "failed";
}

/** The id of an expandable Stripe field (a string, or the object when expanded). */
export function idOf(value: string | { id: string } | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  return typeof value === "string" ? value : value.id;
}

/** The stripe_event row an applied event records in its effect's batch (SEC-51). */
export function stripeEventRowOf(event: Stripe.Event): {
  id: string;
  type: string;
  objectCreatedAt: number;
  processedAt: number;
} {
  return { id: event.id, type: event.type, objectCreatedAt: event.created * 1000, processedAt: Date.now() };
}
