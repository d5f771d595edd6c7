// The shared error schema and the error responses each route documents, derived from its shape.
import { z, type RouteConfig } from "@hono/zod-openapi";
import type { RouteOptions } from "./route-options";

export const ErrorBodySchema = z
  .object({
    error: z.object({
      code: z.string().openapi({ example: "VALIDATION_ERROR" }),
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
  const add = (status: number, text: string) => descriptions.set(status, [...(descriptions.get(status) ?? []), text]);

  if (request?.body) {
    add(400, "BAD_REQUEST: the body is not valid JSON");
    add(415, "UNSUPPORTED_MEDIA_TYPE: the body is not application/json");
  }
  // The body limit is global: it applies to every unsafe method, declared body or not.
  if (isUnsafe) add(413, "PAYLOAD_TOO_LARGE: the body is over 64 KiB");
  if (request?.body || request?.query || request?.params) {
    add(422, "VALIDATION_ERROR: details.fields lists each field at fault, unknown fields included");
  }
  // A signed request (a webhook) is refused with its own documented status, never a 401.
  if (options.access.kind === "role" || options.access.kind === "cron-secret") {
    add(401, "UNAUTHENTICATED: no valid session (or cron secret)");
  }
  if (options.access.kind === "role") add(403, `FORBIDDEN: the caller's role is below ${options.access.minRole}`);
  if (options.onlyInMode)
    add(404, `NOT_FOUND: the route does not exist outside ${options.onlyInMode.toUpperCase()} mode`);
  if (options.rateLimit) {
    add(
      429,
      `RATE_LIMITED: over ${options.rateLimit.limit} requests per ${options.rateLimit.windowSeconds} s per client IP; see Retry-After`,
    );
  }
  for (const [status, text] of Object.entries(options.errors ?? {})) add(Number(status), text);
  add(503, "MISCONFIGURED: a required setting is missing in this environment");

  return Object.fromEntries([...descriptions].map(([status, texts]) => [status, errorResponse(texts.join("; "))]));
}
