// CORS with an exact-match allowlist and credentials (SEC-44).
import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../env";
import { readConfig, type Config } from "../config";

const EXPOSED_HEADERS = ["Retry-After", "X-Request-Id"];

interface CorsPolicy {
  /** Hono's cors(): answers every OPTIONS request itself (a 204 preflight), never calling next(). */
  preflight: MiddlewareHandler;
  /** The origin allowed to read responses, or null for a foreign, look-alike or absent one. */
  allowedOrigin(origin: string | undefined): string | null;
}

const policies = new WeakMap<Config, CorsPolicy>();

function corsPolicyFor(config: Config): CorsPolicy {
  let policy = policies.get(config);
  if (!policy) {
    const allowed = new Set(config.corsOrigins);
    // Exact string match only: no suffix or regex matching, so look-alike origins and "null" fail.
    const allowedOrigin = (origin: string | undefined) => (origin !== undefined && allowed.has(origin) ? origin : null);
    policy = {
      preflight: cors({
        origin: (origin) => allowedOrigin(origin),
        credentials: true,
        allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
        allowHeaders: ["Content-Type"],
        exposeHeaders: EXPOSED_HEADERS,
        maxAge: 600,
      }),
      allowedOrigin,
    };
    policies.set(config, policy);
  }
  return policy;
}

const EXPOSED_HEADERS_VALUE = EXPOSED_HEADERS.join(",");

/**
 * The headers hono's cors() gives a non-preflight request from an allowed origin, written once
 * onto the final response. Hono's cors() writes them to c.res before the handler runs, which makes
 * Hono build an empty Response first and then copy the handler's Response and all its headers into
 * a new one, on every request (issue 18's /health profile, docs/decisions/perf.md "Middleware").
 * The values are the same: the allowed origin echoed, credentials, the exposed headers. A request
 * with no Origin or a refused one gets none of them: without Access-Control-Allow-Origin the
 * other two grant nothing (https://fetch.spec.whatwg.org/#cors-check), and each header costs every
 * response some CPU to set and send (docs/decisions/perf.md "Fifth round").
 */
function allowRead(headers: Headers, origin: string): void {
  headers.set("Access-Control-Allow-Origin", origin);
  headers.set("Access-Control-Allow-Credentials", "true");
  headers.set("Access-Control-Expose-Headers", EXPOSED_HEADERS_VALUE);
}

/** Responses differ by Origin whether or not it was allowed, so caches must key on it. */
function varyOnOrigin(headers: Headers): void {
  const vary = headers.get("Vary");
  if (!vary?.split(",").some((value) => value.trim().toLowerCase() === "origin")) {
    headers.set("Vary", vary ? `${vary}, Origin` : "Origin");
  }
}

/**
 * Runs before the request context, so even a 503 MISCONFIGURED is readable by an allowed
 * frontend; with no valid config there is no allowlist, so no origin is allowed.
 */
export const corsPolicy = createMiddleware<AppEnv>(async function corsPolicy(c, next) {
  const result = readConfig(c.env);
  if (!("config" in result)) {
    await next();
  } else if (c.req.method === "OPTIONS") {
    // cors() answers a preflight itself by returning a Response instead of calling next().
    const preflight = await corsPolicyFor(result.config).preflight(c, next);
    if (preflight) c.res = preflight;
  } else {
    await next();
    const origin = corsPolicyFor(result.config).allowedOrigin(c.req.header("origin"));
    // Every response here was built by the app (c.json, c.body), so its headers are mutable.
    if (origin !== null) allowRead(c.res.headers, origin);
  }
  varyOnOrigin(c.res.headers);
});
