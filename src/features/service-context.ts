// What a service needs from a request, without knowing about HTTP.
import type { Context } from "hono";
import type { Config } from "../config";
import type { Database } from "../db/client";
import { summarizeError } from "../db/error-summary";
import type { Env, AppEnv } from "../env";
import { createEmailSender, type EmailSender } from "../email";
import { logEvent } from "../lib/log";
import { createQuotaMeter, type QuotaMeter } from "./plans/quota";
import type Stripe from "stripe";
import { requireStripeClient } from "./billing/stripe-client";

export interface ServiceContext {
  env: Env;
  db: Database;
  config: Config;
  email: EmailSender;
  /** The quota hook metered features call (plans/quota.ts). */
  quota: QuotaMeter;
  /** The Stripe client (billing/stripe-client.ts); 503 MISCONFIGURED when Stripe is not configured. */
  stripe(): Stripe;
  ip: string | null;
  userAgent: string | null;
  /** Runs a task after the response is sent (waitUntil); its failure is logged, never thrown. */
  defer(task: () => Promise<unknown>): void;
}

export function serviceContextFrom(c: Context<AppEnv>): ServiceContext {
  const config = c.get("config");
  const db = c.get("db");
  return {
    env: c.env,
    db,
    config,
    email: createEmailSender(config, db),
    quota: createQuotaMeter(db),
    stripe: () => requireStripeClient(config),
    ip: c.get("clientIP"),
    userAgent: c.req.header("user-agent") ?? null,
    defer(task) {
      c.executionCtx.waitUntil(
        task().catch((error: unknown) => {
          logEvent("error", "deferred_task_failed", { request_id: c.get("requestId"), ...summarizeError(error) });
        }),
      );
    },
  };
}
