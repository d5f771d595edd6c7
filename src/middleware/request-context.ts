// Per-request context: request id, validated config, D1 client and the client IP.
import { createMiddleware } from "hono/factory";
import { requireConfig } from "../config";
import { createDB } from "../db/client";
import type { Config } from "../config";
import type { Database } from "../db/client";
import type { AppEnv } from "../env";

declare module "hono" {
  interface ContextVariableMap {
    /** A random id per request, echoed as X-Request-Id and in every log line of the request. */
    requestId: string;
    /** CF-Connecting-IP, or null when the edge did not set it (see readClientIP). */
    clientIP: string | null;
    config: Config;
    db: Database;
  }
}

/**
 * The client IP is CF-Connecting-IP, which Cloudflare's edge sets and overwrites; the
 * X-Forwarded-For family is client-controlled and ignored (SEC-10).
 */
export function readClientIP(headers: Headers): string | null {
  const value = headers.get("cf-connecting-ip")?.trim();
  return value && value.length <= 64 ? value : null;
}

export const requestContext = createMiddleware<AppEnv>(async function requestContext(c, next) {
  c.set("requestId", crypto.randomUUID());
  c.set("clientIP", readClientIP(c.req.raw.headers));
  c.set("config", requireConfig(c.env));
  c.set("db", createDB(c.env.DB));
  await next();
  // Straight onto the response: c.header() after the handler copies the whole Response first.
  c.res.headers.set("X-Request-Id", c.get("requestId"));
});
