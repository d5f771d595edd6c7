// HTTP for /webhook-endpoints: an organization's outbound webhook endpoints (docs/webhooks.md).
import { minRole } from "../../middleware/access";
import { toPage } from "../../lib/pagination";
import { toISOString } from "../../lib/time";
import { createRouter } from "../../platform/openapi/app-factory";
import { defineRoute } from "../../platform/openapi/define-route";
import { jsonBody, jsonResponse, noContent, requireActor } from "../../platform/route-helpers";
import { IdParamSchema, PageQuerySchema } from "../../platform/schemas";
import { serviceContextFrom } from "../../platform/service-context";
import {
  CreatedEndpointSchema,
  CreateEndpointSchema,
  DeliveryPageSchema,
  EndpointListSchema,
  PingSchema,
} from "./schemas";
import {
  createEndpoint,
  type DeliveryRow,
  deleteEndpoint,
  type EndpointRow,
  listDeliveries,
  listEndpoints,
  pingEndpoint,
} from "./service";

function toEndpointResponse(endpoint: EndpointRow) {
  return {
    id: endpoint.id,
    url: endpoint.url,
    events: endpoint.eventTypes,
    description: endpoint.description,
    created_at: toISOString(endpoint.createdAt),
    disabled_at: endpoint.disabledAt === null ? null : toISOString(endpoint.disabledAt),
    failing_since: endpoint.failingSince === null ? null : toISOString(endpoint.failingSince),
  };
}

function toDeliveryResponse(delivery: DeliveryRow) {
  return {
    id: delivery.id,
    event_id: delivery.eventId,
    event_type: delivery.eventType,
    attempt: delivery.attempt,
    outcome: delivery.outcome,
    status_code: delivery.statusCode,
    response_excerpt: delivery.responseExcerpt,
    attempted_at: toISOString(delivery.attemptedAt),
    next_retry_at: delivery.nextRetryAt === null ? null : toISOString(delivery.nextRetryAt),
    delivered_at: delivery.outcome === "succeeded" ? toISOString(delivery.attemptedAt) : null,
  };
}

const NO_SUCH_ENDPOINT = { NOT_FOUND: "no such webhook endpoint in your organization" } as const;
const MISCONFIGURED = "WEBHOOK_ENCRYPTION_KEY is not set or not 32 bytes of base64url";

const create = defineRoute(
  {
    access: minRole("org_admin"),
    errors: {
      VALIDATION_ERROR:
        "the URL is not https, carries credentials, or is a private, loopback or link-local address (SEC-75)",
      CONFLICT: "the organization already has the most endpoints allowed",
      MISCONFIGURED,
    },
  },
  {
    method: "post",
    path: "/",
    tags: ["Webhooks"],
    summary: "Register an endpoint; its signing secret is in this response only",
    request: { body: jsonBody(CreateEndpointSchema) },
    responses: { 201: jsonResponse(CreatedEndpointSchema, "Registered; store the secret now") },
  },
);

const list = defineRoute(
  { access: minRole("org_admin") },
  {
    method: "get",
    path: "/",
    tags: ["Webhooks"],
    summary: "The organization's webhook endpoints (never their secrets)",
    responses: { 200: jsonResponse(EndpointListSchema, "Endpoints, oldest first") },
  },
);

const remove = defineRoute(
  { access: minRole("org_admin"), errors: NO_SUCH_ENDPOINT },
  {
    method: "delete",
    path: "/{id}",
    tags: ["Webhooks"],
    summary: "Delete an endpoint and its delivery log; nothing more is sent to it",
    request: { params: IdParamSchema },
    responses: { 204: noContent("Deleted") },
  },
);

const deliveries = defineRoute(
  { access: minRole("org_admin"), errors: NO_SUCH_ENDPOINT },
  {
    method: "get",
    path: "/{id}/deliveries",
    tags: ["Webhooks"],
    summary: "The endpoint's delivery attempts, newest first",
    request: { params: IdParamSchema, query: PageQuerySchema },
    responses: { 200: jsonResponse(DeliveryPageSchema, "A page of delivery attempts") },
  },
);

const ping = defineRoute(
  {
    access: minRole("org_admin"),
    errors: { ...NO_SUCH_ENDPOINT, CONFLICT: "the endpoint is disabled", MISCONFIGURED },
  },
  {
    method: "post",
    path: "/{id}/test",
    tags: ["Webhooks"],
    summary: "Queue a ping event to this endpoint",
    request: { params: IdParamSchema },
    responses: { 202: jsonResponse(PingSchema, "Queued; its attempts appear in the delivery log") },
  },
);

export const webhookEndpointRoutes = createRouter()
  .openapi(create, async (c) => {
    const body = c.req.valid("json");
    const created = await createEndpoint(serviceContextFrom(c), requireActor(c), body);
    return c.json({ ...toEndpointResponse(created.endpoint), secret: created.secret }, 201);
  })
  .openapi(list, async (c) => {
    const endpoints = await listEndpoints(serviceContextFrom(c), requireActor(c));
    return c.json({ items: endpoints.map(toEndpointResponse) }, 200);
  })
  .openapi(remove, async (c) => {
    await deleteEndpoint(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.body(null, 204);
  })
  .openapi(deliveries, async (c) => {
    const page = c.req.valid("query");
    const rows = await listDeliveries(serviceContextFrom(c), requireActor(c), c.req.valid("param").id, page);
    return c.json(toPage(rows, page, toDeliveryResponse), 200);
  })
  .openapi(ping, async (c) => {
    const eventId = await pingEndpoint(serviceContextFrom(c), requireActor(c), c.req.valid("param").id);
    return c.json({ event_id: eventId }, 202);
  });
