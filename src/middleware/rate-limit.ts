// Per-IP rate limiting of a route, counted by the RateLimiter object through the platform client.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { assertValidPolicy, consumeRateLimit, type RateLimitPolicy } from "../platform/rate-limit";

/** Every request without a client IP shares this one bucket per policy (SEC-10, fail closed). */
const NO_IP_BUCKET = "no-ip";

/** Counts the request against `policy` for its client IP before the route (and any hashing) runs. */
export function rateLimit(policy: RateLimitPolicy): MiddlewareHandler<AppEnv> {
  assertValidPolicy(policy);
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    const clientIP = c.get("clientIP") ?? NO_IP_BUCKET;
    await consumeRateLimit(c.env, `${policy.name}:${clientIP}`, policy);
    await next();
  });
}
