// Per-IP rate limiting of a route, counted by the RateLimiter object through the platform client.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { assertValidPolicy, clientKey, consumeRateLimit, type RateLimitPolicy } from "../platform/rate-limit";

/** Counts the request against `policy` for its client IP before the route (and any hashing) runs. */
export function rateLimit(policy: RateLimitPolicy): MiddlewareHandler<AppEnv> {
  assertValidPolicy(policy);
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    await consumeRateLimit(c.env, clientKey(policy, c.get("clientIP")), policy);
    await next();
  });
}
