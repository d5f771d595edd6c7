// The shared error schema and the error responses every route documents.
import { z, type RouteConfig } from "@hono/zod-openapi";
import type { RouteOptions } from "./define-route";

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

export function errorResponses(options: RouteOptions): Record<number, ResponseConfig> {
  const responses: Record<number, ResponseConfig> = {
    400: errorResponse("BAD_REQUEST: malformed JSON"),
    413: errorResponse("PAYLOAD_TOO_LARGE: body over 64 KiB"),
    415: errorResponse("UNSUPPORTED_MEDIA_TYPE: the body is not JSON"),
    422: errorResponse("VALIDATION_ERROR: details.fields lists each field at fault"),
  };
  if (options.access.kind !== "public") responses[401] = errorResponse("UNAUTHENTICATED");
  if (options.access.kind === "role") responses[403] = errorResponse("FORBIDDEN: role too low");
  if (options.rateLimit) {
    responses[429] = errorResponse(
      `RATE_LIMITED: more than ${options.rateLimit.limit} requests per ${options.rateLimit.windowSeconds} s; see Retry-After`,
    );
  }
  return responses;
}
