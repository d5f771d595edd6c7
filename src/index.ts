// Worker entry: HTTP through the Hono app, Cron Triggers through the maintenance job, the webhook
// Queue through its consumer.
import type { Env, WebhookDeliveryMessage } from "./env";
import { app } from "./app";
import { handleScheduled } from "./cron/scheduled";
import { consumeWebhookBatch } from "./features/webhooks/consumer";

export { RateLimiter } from "./rate-limit/rate-limiter";

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
  // Outbound webhook deliveries (docs/webhooks.md); the only queue this worker consumes.
  queue: consumeWebhookBatch,
} satisfies ExportedHandler<Env, WebhookDeliveryMessage>;
