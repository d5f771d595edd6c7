// CSRF defence beyond SameSite (SEC-45), on every unsafe method, login included.
//
// Hono's csrf() only inspects form-like content types; Rampart refuses those bodies anyway (415),
// and the requirement is stricter: any unsafe request from a foreign Origin or a cross-site
// fetch is refused, and a cookie-carrying unsafe request must name its Origin.
import type { Context } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import type { Config } from "../config";
import { CRON_RUN_PATH, STRIPE_WEBHOOK_PATH } from "../platform/server-routes";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Server-to-server routes: no cookie, authenticated by signature or bearer secret. */
const EXEMPT_PATHS = new Set([STRIPE_WEBHOOK_PATH, CRON_RUN_PATH]);

/** The configured origins, parsed once per isolate and config instead of on every request. */
const configuredOrigins = new WeakMap<Config, Set<string>>();
function configuredOriginsOf(config: Config): Set<string> {
  let origins = configuredOrigins.get(config);
  if (!origins) {
    origins = new Set([new URL(config.webBaseURL).origin, ...config.corsOrigins]);
    configuredOrigins.set(config, origins);
  }
  return origins;
}

/**
 * A request that authenticates with a bearer header and carries no cookie at all cannot be a
 * cross-site request forgery: CSRF works because the browser attaches ambient credentials (cookies)
 * to a request another site makes, and it never attaches an Authorization header by itself; a page
 * that can set one already holds the secret. So an API key call (server-to-server, a CLI) is
 * exempt, like the cron and webhook routes. A request that also has a cookie is checked as any
 * other, and the access gate refuses a cookie and a key together (400 AMBIGUOUS_CREDENTIALS).
 * https://cheatsheetseries.owasp.org/cheatsheets/Cross-Site_Request_Forgery_Prevention_Cheat_Sheet.html
 */
function isCookielessBearerRequest(c: Context<AppEnv>): boolean {
  return c.req.header("cookie") === undefined && /^Bearer /.test(c.req.header("authorization") ?? "");
}

// Not async, like loopbackOnlyInDev: nothing runs after next(), and a refusal throws synchronously.
export const originCheck = createMiddleware<AppEnv>(function originCheck(c, next) {
  if (SAFE_METHODS.has(c.req.method) || EXEMPT_PATHS.has(c.req.path) || isCookielessBearerRequest(c)) return next();

  const origin = c.req.header("origin");
  const isTrusted = (value: string) =>
    configuredOriginsOf(c.get("config")).has(value) || value === new URL(c.req.url).origin;

  if (c.req.header("sec-fetch-site") === "cross-site") {
    throw new AppError("FORBIDDEN", "Cross-site requests are not allowed.");
  }
  if (origin !== undefined && !isTrusted(origin)) {
    throw new AppError("FORBIDDEN", "Requests from this origin are not allowed.");
  }
  if (origin === undefined && c.req.header("cookie")) {
    throw new AppError("FORBIDDEN", "Requests that carry cookies must send an Origin header.");
  }
  return next();
});
