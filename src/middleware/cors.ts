// CORS with an exact-match allowlist and credentials (SEC-44).
import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { readConfig, type Config } from "../config";

const handlers = new WeakMap<Config, MiddlewareHandler>();

function corsHandlerFor(config: Config): MiddlewareHandler {
  let handler = handlers.get(config);
  if (!handler) {
    const allowed = new Set(config.corsOrigins);
    handler = cors({
      // Exact string match only: no suffix or regex matching, so look-alike origins and "null" fail.
      origin: (origin) => (allowed.has(origin) ? origin : null),
      credentials: true,
      allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
      allowHeaders: ["Content-Type"],
      exposeHeaders: ["Retry-After", "X-Request-Id"],
      maxAge: 600,
    });
    handlers.set(config, handler);
  }
  return handler;
}

/**
 * Runs before the request context, so even a 503 MISCONFIGURED is readable by an allowed
 * frontend; with no valid config there is no allowlist, so no origin is allowed.
 */
export const corsPolicy = createMiddleware<AppEnv>(async function corsPolicy(c, next) {
  const result = readConfig(c.env);
  if ("config" in result) {
    // cors() answers a preflight itself by returning a Response instead of calling next().
    const preflight = await corsHandlerFor(result.config)(c, next);
    if (preflight) c.res = preflight;
  } else {
    await next();
  }
  // Responses differ by Origin whether or not it was allowed, so caches must key on it.
  const vary = c.res.headers.get("Vary");
  if (!vary?.split(",").some((value) => value.trim().toLowerCase() === "origin")) {
    c.header("Vary", vary ? `${vary}, Origin` : "Origin");
  }
});
