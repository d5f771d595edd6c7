// The Queue consumer of webhook deliveries (src/index.ts queue()): one message is one event for
// one endpoint. Retries with exponential back-off through the Queue itself (message.retry), so no
// Worker waits between attempts; an endpoint failing for a day is disabled and its admins told (SEC-76).
// https://developers.cloudflare.com/queues/configuration/batching-retries/#delay-messages
import { readConfig } from "../../config";
import { createDB, type Database } from "../../db/client";
import { createEmailSender } from "../../email";
import type { Env, WebhookDeliveryMessage } from "../../env";
import { decryptText } from "../../lib/encryption";
import { logEvent } from "../../lib/log";
import { checkOutboundURL } from "../../lib/outbound-url";
import type { WebhooksConfig } from "../../config/webhooks";
import type { EmailSender } from "../../email";
import {
  buildDeliveryInsert,
  buildEndpointDisable,
  buildFailureReset,
  buildFailureStart,
  type EndpointRow,
  findDeliveryTarget,
  listOrganizationAdminEmails,
} from "./repo";
import { sendSignedEvent, type SendResult } from "./send-delivery";
import { secretAssociatedData } from "./signing-secret";

/** Attempts per event and endpoint: the back-off below spreads them over about a day. */
const MAX_ATTEMPTS = 8;
/** An endpoint whose failures have lasted this long is disabled. */
const DISABLE_AFTER_MS = 24 * 60 * 60 * 1000;
/** Queues' longest delay (12 h). */
const MAX_DELAY_SECONDS = 43_200;

/** 30 s, 2 min, 8 min, 32 min, ~2 h, ~8.5 h, 12 h: about 23 h from the first attempt to the last. */
function retryDelaySeconds(attempt: number): number {
  return Math.min(30 * 4 ** (attempt - 1), MAX_DELAY_SECONDS);
}

interface DeliveryContext {
  db: Database;
  config: WebhooksConfig;
  email: EmailSender;
}

export async function consumeWebhookBatch(batch: MessageBatch<WebhookDeliveryMessage>, env: Env): Promise<void> {
  const result = readConfig(env);
  const webhooks = "config" in result ? result.config.webhooks : null;
  if (!("config" in result) || !webhooks || "problems" in webhooks) {
    // Nothing can be signed without the key: keep the messages for after the fix, do not drop them.
    logEvent("error", "webhook_consumer_misconfigured", {
      settings: "problems" in result ? result.problems : webhooks && "problems" in webhooks ? webhooks.problems : [],
    });
    batch.retryAll({ delaySeconds: 300 });
    return;
  }
  const db = createDB(env.DB);
  const ctx: DeliveryContext = { db, config: webhooks.config, email: createEmailSender(result.config, db) };
  // Endpoints in parallel, each endpoint's messages in batch order: a slow receiver delays only itself.
  const byEndpoint = new Map<string, Message<WebhookDeliveryMessage>[]>();
  for (const message of batch.messages) {
    const list = byEndpoint.get(message.body.endpointId) ?? [];
    list.push(message);
    byEndpoint.set(message.body.endpointId, list);
  }
  await Promise.all(
    [...byEndpoint.values()].map(async (messages) => {
      for (const message of messages) await deliverMessage(ctx, message);
    }),
  );
}

async function deliverMessage(ctx: DeliveryContext, message: Message<WebhookDeliveryMessage>): Promise<void> {
  const target = await findDeliveryTarget(ctx.db, message.body.endpointId, message.body.eventId);
  // Deleted or disabled since the event was published: nothing to deliver.
  if (!target || target.endpoint.disabledAt !== null) {
    message.ack();
    return;
  }
  const { endpoint, event } = target;
  const attempt = message.attempts;
  const result = await attemptDelivery(ctx, endpoint, {
    id: event.id,
    type: event.type,
    createdAt: event.createdAt,
    data: event.data,
  });
  const now = Date.now();
  const recorded = { endpointId: endpoint.id, eventId: event.id, eventType: event.type, attempt, attemptedAt: now };
  if (result.delivered) {
    await ctx.db.batch([
      buildDeliveryInsert(ctx.db, { ...recorded, ...outcomeColumns(result), outcome: "succeeded", nextRetryAt: null }),
      buildFailureReset(ctx.db, endpoint.id),
    ]);
    message.ack();
    return;
  }
  const failingSince = endpoint.failingSince ?? now;
  if (now - failingSince >= DISABLE_AFTER_MS) {
    await ctx.db.batch([
      buildDeliveryInsert(ctx.db, { ...recorded, ...outcomeColumns(result), outcome: "failed", nextRetryAt: null }),
    ]);
    await disableEndpoint(ctx, endpoint, now);
    message.ack();
    return;
  }
  if (attempt < MAX_ATTEMPTS) {
    const delaySeconds = retryDelaySeconds(attempt);
    await ctx.db.batch([
      buildDeliveryInsert(ctx.db, {
        ...recorded,
        ...outcomeColumns(result),
        outcome: "retrying",
        nextRetryAt: now + delaySeconds * 1000,
      }),
      buildFailureStart(ctx.db, endpoint.id, now),
    ]);
    message.retry({ delaySeconds });
    return;
  }
  await ctx.db.batch([
    buildDeliveryInsert(ctx.db, { ...recorded, ...outcomeColumns(result), outcome: "failed", nextRetryAt: null }),
    buildFailureStart(ctx.db, endpoint.id, now),
  ]);
  message.ack();
}

function outcomeColumns(result: SendResult) {
  return { statusCode: result.statusCode, responseExcerpt: result.excerpt || null };
}

async function attemptDelivery(
  ctx: DeliveryContext,
  endpoint: EndpointRow,
  event: Parameters<typeof sendSignedEvent>[2],
): Promise<SendResult> {
  // Checked again at each attempt: the rules may have tightened since the endpoint was registered.
  if (checkOutboundURL(endpoint.url, { allowInsecure: ctx.config.allowInsecureURLs })) {
    return { delivered: false, statusCode: null, excerpt: "the endpoint URL is not allowed" };
  }
  const secret = await decryptText(
    ctx.config.encryptionKey,
    endpoint.secretCiphertext,
    secretAssociatedData(endpoint.id),
  );
  if (secret === null) {
    // A rotated WEBHOOK_ENCRYPTION_KEY: the endpoint must be registered again.
    logEvent("error", "webhook_secret_undecryptable", { endpoint_id: endpoint.id });
    return { delivered: false, statusCode: null, excerpt: "the signing secret cannot be decrypted" };
  }
  return sendSignedEvent(endpoint.url, secret, event);
}

/** Disables the endpoint; the one consumer that does it emails the organization's admins. */
async function disableEndpoint(ctx: DeliveryContext, endpoint: EndpointRow, now: number): Promise<void> {
  const disabled = await buildEndpointDisable(ctx.db, endpoint.id, now);
  if (disabled.length === 0) return;
  logEvent("warn", "webhook_endpoint_disabled", { organization_id: endpoint.organizationId, endpoint_id: endpoint.id });
  const admins = await listOrganizationAdminEmails(ctx.db, endpoint.organizationId);
  for (const to of admins) {
    await ctx.email.send({
      to,
      subject: "A webhook endpoint was disabled",
      text: [
        `Deliveries to your webhook endpoint ${endpoint.url} have failed for a day, so it was disabled.`,
        "No further events are sent to it. Check the endpoint's delivery log, fix the receiver, then register it again.",
      ].join("\n\n"),
      links: [],
    });
  }
}
