// CORS with an exact-match allowlist and credentials (SEC-44).
import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import type { AppEnv } from "../env";

export const corsPolicy = createMiddleware<AppEnv>(async function corsPolicy(c, next) {
  const allowed = c.get("config").corsOrigins;
  const handler = cors({
    // Exact string match only: no suffix or regex matching, so look-alike origins and "null" fail.
    origin: (origin) => (allowed.includes(origin) ? origin : null),
    credentials: true,
    allowMethods: ["GET", "POST", "PUT", "PATCH", "DELETE"],
    allowHeaders: ["Content-Type"],
    exposeHeaders: ["Retry-After", "X-Request-Id"],
    maxAge: 600,
  });
  await handler(c, next);
  c.header("Vary", "Origin", { append: !c.res.headers.get("Vary")?.includes("Origin") });
});
