// Declares a route once: its access rule, rate limit, schemas and documented errors.
import { createRoute, type RouteConfig } from "@hono/zod-openapi";
import type { MiddlewareHandler } from "hono";
import type { AppEnv } from "../../env";
import { acceptedCredentials, describeAccess, requireAccess } from "../../middleware/access";
import { rateLimit, rateLimitOverlapped } from "../../middleware/rate-limit";
import { TURNSTILE_HEADER, requireTurnstile } from "../../middleware/turnstile";
import type { RouteOptions } from "./route-options";
import { errorResponses } from "./error-responses";
import type { Mode } from "../../config";
import type { Environment } from "../../config/contract";
import { createMiddleware } from "hono/factory";
import { AppError } from "../../errors";

function requireMode(mode: Mode): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async function requireMode(c, next) {
    if (c.get("config").mode !== mode) throw new AppError("NOT_FOUND", "Not found.");
    await next();
  });
}

/**
 * 404 before validation, access or limits run: outside its environment the route answers exactly
 * as a path that does not exist, whatever the request (the dev helpers in staging and production).
 */
function requireEnvironment(environment: Environment): MiddlewareHandler<AppEnv> {
  return createMiddleware<AppEnv>(async function requireEnvironment(c, next) {
    if (c.get("config").environment !== environment) throw new AppError("NOT_FOUND", "Not found.");
    await next();
  });
}

/** The OpenAPI extension that carries a route's access rule (read back by the route table). */
export const ACCESS_EXTENSION = "x-min-role";

/** The OpenAPI extension naming the scope an API key needs on a route that accepts keys. */
export const API_KEY_SCOPE_EXTENSION = "x-api-key-scope";

export function defineRoute<const R extends Omit<RouteConfig, "middleware">>(options: RouteOptions, route: R) {
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  if (options.onlyInEnvironment) middleware.push(requireEnvironment(options.onlyInEnvironment));
  if (options.onlyInMode) middleware.push(requireMode(options.onlyInMode));
  if (options.access.kind !== "public") middleware.push(requireAccess(options.access));
  if (options.rateLimit) {
    middleware.push(options.overlapRateLimit ? rateLimitOverlapped(options.rateLimit) : rateLimit(options.rateLimit));
  }
  if (options.botCheck) middleware.push(requireTurnstile());
  const access = describeAccess(options.access);
  const credentials = acceptedCredentials(options.access);
  const apiKeyScope = options.access.kind === "role" ? options.access.apiKeyScope : undefined;
  return createRoute({
    ...route,
    middleware,
    [ACCESS_EXTENSION]: access,
    // Each entry is an alternative (OpenAPI "Security Requirement Object"): a cookie or a key.
    ...(credentials.length > 0 ? { security: credentials.map((scheme) => ({ [scheme]: [] })) } : {}),
    ...(apiKeyScope ? { [API_KEY_SCOPE_EXTENSION]: apiKeyScope } : {}),
    description: [
      route.description,
      `Access: ${access}.`,
      apiKeyScope
        ? `Also callable with an organization API key (Authorization: Bearer rk_…) holding the ${apiKeyScope} scope, whose role reaches ${access}.`
        : undefined,
      options.onlyInEnvironment ? `Only with ENVIRONMENT=${options.onlyInEnvironment}; 404 otherwise.` : undefined,
      options.onlyInMode ? `Only in ${options.onlyInMode.toUpperCase()} mode; 404 otherwise.` : undefined,
      options.botCheck
        ? `Bot check: with TURNSTILE_SECRET_KEY set, send the Turnstile widget's token in the ${TURNSTILE_HEADER} header.`
        : undefined,
    ]
      .filter(Boolean)
      .join("\n\n"),
    responses: { ...errorResponses(options, route), ...route.responses },
  });
}
