// The bot check of the public forms (SEC-72): with TURNSTILE_SECRET_KEY set, a route declared
// with `botCheck: true` needs a token Cloudflare Turnstile accepts, in the CF-Turnstile-Response
// header, before its body is even validated, so a refused request costs no hashing and sends no email.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import { requireSubsystemConfig } from "../config";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { logEvent } from "../lib/log";
import { verifyTurnstileToken } from "../platform/turnstile";

/** A header rather than a body field: the API's JSON shapes (strict objects) stay as they are. */
export const TURNSTILE_HEADER = "CF-Turnstile-Response";

export function requireTurnstile(): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async function requireTurnstile(c, next) {
    const config = requireSubsystemConfig(c.get("config"), "turnstile");
    if (config) {
      // An overlapped per-IP count (login) is settled first: a client over its limit gets its 429
      // and costs no call to Cloudflare, as when the limit runs before this middleware.
      await (c.get("clientLimit") as Promise<void> | undefined);
      const token = c.req.header(TURNSTILE_HEADER)?.trim();
      if (!token) throw new AppError("TURNSTILE_REQUIRED", "Complete the bot check and try again.");
      const verdict = await verifyTurnstileToken(config, token, c.get("clientIP"));
      if (verdict.kind === "unavailable") {
        // Fail closed: during an outage the widget (also Cloudflare's) cannot issue tokens either.
        logEvent("warn", "turnstile_unavailable", { request_id: c.get("requestId"), reason: verdict.reason });
        throw new AppError("UPSTREAM_UNAVAILABLE", "The bot check is unavailable; try again in a moment.");
      }
      if (verdict.kind === "refused") {
        logEvent("info", "turnstile_refused", { request_id: c.get("requestId"), error_codes: verdict.errorCodes });
        throw new AppError("TURNSTILE_FAILED", "The bot check failed or expired. Complete it again.");
      }
    }
    await next();
  });
}
