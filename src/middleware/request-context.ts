// Per-request context: request id, validated config, D1 client and the client IP.
import { createMiddleware } from "hono/factory";
import { requireConfig } from "../config";
import { createDB } from "../db/client";
import type { AppEnv } from "../env";

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
  c.set("session", null);
  c.set("config", requireConfig(c.env));
  c.set("db", createDB(c.env.DB));
  await next();
  c.header("X-Request-Id", c.get("requestId"));
});
