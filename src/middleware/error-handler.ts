// Every failure becomes the JSON error body of API.md; a 500 never reveals why (SEC-48).
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { summarizeError } from "../db/error-summary";
import { AppError, RateLimitedError, errorBody } from "../errors";
import { logEvent } from "../lib/log";

function fromHTTPException(error: HTTPException): AppError {
  switch (error.status) {
    case 400:
      return new AppError(400, "BAD_REQUEST", "The request body is not valid JSON.");
    case 413:
      return new AppError(413, "PAYLOAD_TOO_LARGE", "The request body is too large.");
    case 415:
      return new AppError(415, "UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
    case 401:
      return new AppError(401, "UNAUTHENTICATED", "Sign in to continue.");
    case 403:
      return new AppError(403, "FORBIDDEN", "This request is not allowed.");
    case 404:
      return new AppError(404, "NOT_FOUND", "Not found.");
    default:
      return new AppError(400, "BAD_REQUEST", "The request could not be processed.");
  }
}

export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  const appError = error instanceof AppError ? error : error instanceof HTTPException ? fromHTTPException(error) : null;
  if (appError) {
    if (appError instanceof RateLimitedError) c.header("Retry-After", String(appError.retryAfterSeconds));
    return c.json(appError.toBody(), appError.status);
  }
  // Unexpected: log the detail for operators, answer with nothing an attacker can use.
  logEvent("error", "unhandled_error", {
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path,
    // A database error by its code and statement shape only: drizzle's message carries the bound
    // parameters (SEC-63).
    ...summarizeError(error),
  });
  return c.json(errorBody("INTERNAL_ERROR", "Something went wrong."), 500);
};

export const handleNotFound: NotFoundHandler<AppEnv> = (c) => c.json(errorBody("NOT_FOUND", "Not found."), 404);

export function respondMethodNotAllowed(c: Context<AppEnv>, methods: string[]): Response {
  return c.json(errorBody("METHOD_NOT_ALLOWED", "This method is not allowed on this path."), 405, {
    Allow: methods.join(", "),
  });
}
