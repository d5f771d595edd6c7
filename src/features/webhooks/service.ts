// Webhook endpoint rules: org_admins register, list and delete their organization's endpoints,
// read their delivery log and send a ping. The signing secret is shown once and stored encrypted (SEC-75).
import { requireSubsystemConfig } from "../../config";
import { AppError } from "../../errors";
import { encryptText } from "../../lib/encryption";
import { checkOutboundURL, type OutboundURLProblem } from "../../lib/outbound-url";
import type { PageRequest } from "../../lib/pagination";
import type { Actor } from "../../platform/actor";
import { newEventId, type WebhookEventType } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import {
  countEndpoints,
  deleteEndpointRow,
  type EndpointRow,
  findEndpoint,
  insertEndpoint,
  insertPublishedEvent,
  listDeliveryRows,
  listEndpointRows,
} from "./repo";
import { secretAssociatedData } from "./signing-secret";

export type { DeliveryRow, EndpointRow } from "./repo";

/** Enough for a product's own systems; every endpoint adds a message per event. */
const MAX_ENDPOINTS_PER_ORGANIZATION = 10;

const NOT_FOUND_MESSAGE = "No such webhook endpoint in your organization.";

const URL_PROBLEMS: Record<OutboundURLProblem, string> = {
  not_a_url: "Must be an absolute URL.",
  scheme: "Must be an https:// URL.",
  credentials: "Must not carry a user name or password.",
  private_address: "Must not be an IP address in a private, loopback, link-local or reserved range.",
  local_hostname: "Must not be a localhost name.",
  too_long: "Is too long.",
};

export interface CreatedEndpoint {
  endpoint: EndpointRow;
  /** The `whsec_…` secret in clear: returned once, never again. */
  secret: string;
}

export async function createEndpoint(
  ctx: ServiceContext,
  actor: Actor,
  input: { url: string; events: WebhookEventType[]; description?: string },
): Promise<CreatedEndpoint> {
  const config = requireSubsystemConfig(ctx.config, "webhooks");
  const problem = checkOutboundURL(input.url, { allowInsecure: config.allowInsecureURLs });
  if (problem) {
    throw new AppError("VALIDATION_ERROR", "The endpoint URL is not allowed.", {
      fields: [{ field: "url", message: URL_PROBLEMS[problem] }],
    });
  }
  // A check then an insert: two concurrent creations may end one over the limit, which is harmless.
  if ((await countEndpoints(ctx.db, actor.organizationId)) >= MAX_ENDPOINTS_PER_ORGANIZATION) {
    throw new AppError("CONFLICT", `An organization has at most ${MAX_ENDPOINTS_PER_ORGANIZATION} webhook endpoints.`);
  }
  const id = crypto.randomUUID();
  const secret = generateSigningSecret();
  const endpoint: EndpointRow = {
    id,
    organizationId: actor.organizationId,
    url: new URL(input.url).href,
    description: input.description || null,
    eventTypes: input.events,
    secretCiphertext: await encryptText(config.encryptionKey, secret, secretAssociatedData(id)),
    createdAt: Date.now(),
    failingSince: null,
    disabledAt: null,
  };
  await insertEndpoint(ctx.db, endpoint);
  return { endpoint, secret };
}

export async function listEndpoints(ctx: ServiceContext, actor: Actor): Promise<EndpointRow[]> {
  return listEndpointRows(ctx.db, actor.organizationId);
}

export async function deleteEndpoint(ctx: ServiceContext, actor: Actor, endpointId: string): Promise<void> {
  const deleted = await deleteEndpointRow(ctx.db, actor.organizationId, endpointId);
  // Another organization's endpoint is indistinguishable from a missing one (SEC-36).
  if (deleted.length === 0) throw new AppError("NOT_FOUND", NOT_FOUND_MESSAGE);
}

export async function listDeliveries(ctx: ServiceContext, actor: Actor, endpointId: string, page: PageRequest) {
  await requireEndpoint(ctx, actor, endpointId);
  return listDeliveryRows(ctx.db, endpointId, page);
}

/** Sends a `ping` to this endpoint alone, through the Queue like any event. */
export async function pingEndpoint(ctx: ServiceContext, actor: Actor, endpointId: string): Promise<string> {
  requireSubsystemConfig(ctx.config, "webhooks");
  const endpoint = await requireEndpoint(ctx, actor, endpointId);
  if (endpoint.disabledAt !== null) {
    throw new AppError("CONFLICT", "The endpoint is disabled; register it again to resume deliveries.");
  }
  const id = newEventId();
  const now = Date.now();
  // Stored published: the producer never fans a ping out; the message goes to this endpoint now.
  await insertPublishedEvent(ctx.db, {
    id,
    organizationId: actor.organizationId,
    type: "ping",
    data: { endpoint_id: endpointId },
    createdAt: now,
    publishedAt: now,
  });
  await ctx.env.WEBHOOK_QUEUE.send({ eventId: id, endpointId });
  return id;
}

async function requireEndpoint(ctx: ServiceContext, actor: Actor, endpointId: string): Promise<EndpointRow> {
  const endpoint = await findEndpoint(ctx.db, actor.organizationId, endpointId);
  if (!endpoint) throw new AppError("NOT_FOUND", NOT_FOUND_MESSAGE);
  return endpoint;
}

/** Standard Webhooks secrets are `whsec_` + base64 of 24 to 64 random bytes; 32 here. */
function generateSigningSecret(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return `whsec_${btoa(String.fromCharCode(...bytes))}`;
}
