// The shared error schema and the error responses each route documents, derived from its shape;
// every status comes from the error table (src/errors.ts), so the document cannot disagree with it.
import { z, type RouteConfig } from "@hono/zod-openapi";
import { ERRORS, type ErrorCode } from "../../errors";
import { BODY_LIMIT_BYTES, formatBytes } from "../body-limits";
import type { RouteOptions } from "./route-options";

const ERROR_CODES = Object.keys(ERRORS) as [ErrorCode, ...ErrorCode[]];

const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.enum(ERROR_CODES).openapi({ example: "VALIDATION_ERROR" }),
      message: z.string(),
      details: z.record(z.string(), z.unknown()).optional(),
    }),
  })
  .openapi("Error");

type ResponseConfig = RouteConfig["responses"][string];

function errorResponse(description: string): ResponseConfig {
  return { description, content: { "application/json": { schema: ErrorBodySchema } } };
}

/** The errors the shared machinery can produce for a route, plus the route's own `errors`. */
export function errorResponses(
  options: RouteOptions,
  route: Pick<RouteConfig, "method" | "request">,
): Record<number, ResponseConfig> {
  const request = route.request;
  const isUnsafe = !["get", "head", "options"].includes(route.method);
  const descriptions = new Map<number, string[]>();
  const add = (code: ErrorCode, when: string) => {
    const { status } = ERRORS[code];
    descriptions.set(status, [...(descriptions.get(status) ?? []), `${code}: ${when}`]);
  };

  if (request?.body) {
    add("BAD_REQUEST", "the body is not valid JSON");
    add("UNSUPPORTED_MEDIA_TYPE", "the body is not application/json");
  }
  // The body limit is global: it applies to every unsafe method, declared body or not.
  if (isUnsafe) add("PAYLOAD_TOO_LARGE", `the body is over ${formatBytes(BODY_LIMIT_BYTES)}`);
  if (request?.body || request?.query || request?.params) {
    add("VALIDATION_ERROR", "details.fields lists each field at fault, unknown fields included");
  }
  // A signed request (a webhook) is refused with its own documented status, never a 401.
  if (options.access.kind === "role" || options.access.kind === "cron-secret") {
    add("UNAUTHENTICATED", "no valid session (or cron secret)");
  }
  if (options.access.kind === "role") add("FORBIDDEN", `the caller's role is below ${options.access.minRole}`);
  if (options.access.kind === "role" && options.access.apiKeyScope) {
    add("AMBIGUOUS_CREDENTIALS", "the request carries both a session cookie and an API key");
    add("SCOPE_MISSING", `the API key lacks the ${options.access.apiKeyScope} scope`);
    add("RATE_LIMITED", "the API key is over its own per-minute limit; see Retry-After");
  }
  // The Origin check (SEC-45) is global too: every unsafe method but the server-to-server routes.
  const isServerToServer = options.access.kind === "cron-secret" || options.access.kind === "signature";
  if (isUnsafe && !isServerToServer) add("FORBIDDEN", "a foreign Origin or a cross-site request (CSRF check)");
  if (options.onlyInEnvironment) {
    add("NOT_FOUND", `the route does not exist outside ENVIRONMENT=${options.onlyInEnvironment}`);
  }
  if (options.onlyInMode) add("NOT_FOUND", `the route does not exist outside ${options.onlyInMode.toUpperCase()} mode`);
  if (options.rateLimit) {
    add(
      "RATE_LIMITED",
      `over ${options.rateLimit.limit} requests per ${options.rateLimit.windowSeconds} s per client IP; see Retry-After`,
    );
  }
  if (options.botCheck) {
    add("TURNSTILE_REQUIRED", "bot protection is on and the CF-Turnstile-Response header is missing");
    add("TURNSTILE_FAILED", "Turnstile refused the token");
    add("UPSTREAM_UNAVAILABLE", "Turnstile's siteverify did not answer");
  }
  for (const [code, when] of Object.entries(options.errors ?? {}) as [ErrorCode, string][]) add(code, when);
  add("MISCONFIGURED", "a required setting is missing in this environment");

  return Object.fromEntries([...descriptions].map(([status, texts]) => [status, errorResponse(texts.join("; "))]));
}
