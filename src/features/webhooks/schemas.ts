// Request and response schemas of /webhook-endpoints.
import { z } from "@hono/zod-openapi";
import { MAX_OUTBOUND_URL_LENGTH } from "../../lib/outbound-url";
import { WEBHOOK_EVENT_TYPES } from "../../platform/outbox";
import { pageSchema } from "../../platform/schemas";

const DESCRIPTION_MAX = 200;

/** What an endpoint can subscribe to: every event but ping, which is sent on request only. */
const SubscribableEventSchema = z.enum(WEBHOOK_EVENT_TYPES.filter((type) => type !== "ping"));

export const CreateEndpointSchema = z
  .strictObject({
    // Checked further (SEC-75: scheme, credentials, address ranges) by the service, which knows the environment.
    url: z.string().min(1).max(MAX_OUTBOUND_URL_LENGTH).openapi({ example: "https://hooks.example.com/rampart" }),
    events: z
      .array(SubscribableEventSchema)
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .transform((events) => [...new Set(events)]),
    description: z.string().trim().max(DESCRIPTION_MAX).optional(),
  })
  .openapi("WebhookEndpointInput");

const EndpointSchema = z
  .object({
    id: z.string(),
    url: z.string(),
    events: z.array(z.string()),
    description: z.string().nullable(),
    created_at: z.string().openapi({ format: "date-time" }),
    /** Set when it failed for a day and was disabled; register it again to resume. */
    disabled_at: z.string().openapi({ format: "date-time" }).nullable(),
    failing_since: z.string().openapi({ format: "date-time" }).nullable(),
  })
  .openapi("WebhookEndpoint");

export const CreatedEndpointSchema = EndpointSchema.extend({
  secret: z.string().openapi({ description: "The signing secret (whsec_…): shown this once, store it now." }),
}).openapi("CreatedWebhookEndpoint");

export const EndpointListSchema = z.object({ items: z.array(EndpointSchema) }).openapi("WebhookEndpointList");

const DeliverySchema = z
  .object({
    id: z.number().int(),
    event_id: z.string(),
    event_type: z.string(),
    attempt: z.number().int(),
    outcome: z.enum(["succeeded", "retrying", "failed"]),
    status_code: z.number().int().nullable(),
    response_excerpt: z.string().nullable(),
    attempted_at: z.string().openapi({ format: "date-time" }),
    next_retry_at: z.string().openapi({ format: "date-time" }).nullable(),
    delivered_at: z.string().openapi({ format: "date-time" }).nullable(),
  })
  .openapi("WebhookDelivery");

export const DeliveryPageSchema = pageSchema(DeliverySchema, "WebhookDeliveryPage");

export const PingSchema = z.object({ event_id: z.string() }).openapi("WebhookPing");
