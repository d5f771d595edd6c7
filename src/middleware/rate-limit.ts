// Per-IP rate limiting of a route, counted by the RateLimiter object through the platform client.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { assertValidPolicy, clientKey, consumeRateLimit, type RateLimitPolicy } from "../platform/rate-limit";

declare module "hono" {
  interface ContextVariableMap {
    /**
     * The per-IP count of a route declared with `overlapRateLimit` (rateLimitOverlapped): resolves
     * when the request is within its limit, rejects with RateLimitedError when it is not.
     */
    clientLimit: Promise<void>;
  }
}

/** Counts the request against `policy` for its client IP before the route (and any hashing) runs. */
export function rateLimit(policy: RateLimitPolicy): MiddlewareHandler<AppEnv> {
  assertValidPolicy(policy);
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    await consumeRateLimit(c.env, clientKey(policy, c.get("clientIP")), policy);
    await next();
  });
}

/**
 * The same count, started here and awaited by the handler, so that a handler can overlap the
 * Durable Object's round trip with reads that change nothing (login: the user lookup). The handler
 * must await `clientLimit` before any write, hash or other limit. If it never does (the bot check,
 * validation or a thrown error answered first), the verdict is awaited here after it, so a request
 * over its limit still gets 429 over any other answer, as with rateLimit. The count itself is made
 * at the same point as rateLimit's: before the bot check and validation, once per request.
 */
export function rateLimitOverlapped(policy: RateLimitPolicy): MiddlewareHandler<AppEnv> {
  assertValidPolicy(policy);
  return createMiddleware<AppEnv>(async function rateLimitOverlapped(c, next) {
    const verdict = consumeRateLimit(c.env, clientKey(policy, c.get("clientIP")), policy);
    // Marks the rejection handled until someone awaits it: the handler, or the line below.
    verdict.catch(() => {});
    c.set("clientLimit", verdict);
    await next();
    try {
      await verdict;
    } catch (error) {
      // Already answered when the handler rethrew this very refusal (c.error is what onError got).
      if (c.error !== error) throw error;
    }
  });
}
