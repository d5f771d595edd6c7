// Worker entry: HTTP through the Hono app, Cron Triggers through the maintenance job.
import type { Env } from "./env";
import { app } from "./app";
import { handleScheduled } from "./cron/scheduled";

export { RateLimiter } from "./rate-limit/rate-limiter";

export default {
  fetch: app.fetch,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
