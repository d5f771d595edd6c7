// Every failure becomes the JSON error body of API.md; a 500 never reveals why (SEC-48).
import type { Context, ErrorHandler, NotFoundHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { AppEnv } from "../env";
import { summarizeError } from "../db/error-summary";
import { AppError, RateLimitedError } from "../errors";
import { logEvent } from "../lib/log";

function fromHTTPException(error: HTTPException): AppError {
  switch (error.status) {
    case 400:
      return new AppError("BAD_REQUEST", "The request body is not valid JSON.");
    case 413:
      return new AppError("PAYLOAD_TOO_LARGE", "The request body is too large.");
    case 415:
      return new AppError("UNSUPPORTED_MEDIA_TYPE", "Send the body as application/json.");
    case 401:
      return new AppError("UNAUTHENTICATED", "Sign in to continue.");
    case 403:
      return new AppError("FORBIDDEN", "This request is not allowed.");
    case 404:
      return new AppError("NOT_FOUND", "Not found.");
    default:
      return new AppError("BAD_REQUEST", "The request could not be processed.");
  }
}

/**
 * A 403 or 429 says why in the server log, so that an operator (or a newcomer watching `npm run
 * dev`) can tell an origin refusal from a role refusal, or which limit was hit. A 403's message and
 * details are the ones its caller reads, written without input echoed; a 429 names its limit,
 * never the key (an IP or an email hash). No query string, header or body is logged (SEC-48).
 */
function logRefusal(c: Context<AppEnv>, error: AppError): void {
  const isRateLimited = error instanceof RateLimitedError;
  logEvent("warn", isRateLimited ? "request_rate_limited" : "request_forbidden", {
    request_id: c.get("requestId"),
    method: c.req.method,
    path: c.req.path.slice(0, 200),
    status: error.status,
    code: error.code,
    reason: isRateLimited ? error.limit : error.message,
    ...(isRateLimited ? { retry_after_seconds: error.retryAfterSeconds } : { details: error.details }),
  });
}

export const handleError: ErrorHandler<AppEnv> = (error, c) => {
  const appError = error instanceof AppError ? error : error instanceof HTTPException ? fromHTTPException(error) : null;
  if (appError) {
    if (appError.status === 403 || appError.status === 429) logRefusal(c, appError);
    if (appError instanceof RateLimitedError) c.header("Retry-After", String(appError.retryAfterSeconds));
    return respondWithError(c, appError);
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
  return respondWithError(c, new AppError("INTERNAL_ERROR", "Something went wrong."));
};

export const handleNotFound: NotFoundHandler<AppEnv> = (c) =>
  respondWithError(c, new AppError("NOT_FOUND", "Not found."));

export function respondMethodNotAllowed(c: Context<AppEnv>, methods: string[]): Response {
  c.header("Allow", methods.join(", "));
  return respondWithError(c, new AppError("METHOD_NOT_ALLOWED", "This method is not allowed on this path."));
}

/** The error's body with the status the error table gives its code. */
function respondWithError(c: Context<AppEnv>, error: AppError): Response {
  return c.json(error.toBody(), error.status);
}
