// AppError and the one JSON error body every response uses (API.md, "Conventions").
import type { ContentfulStatusCode } from "hono/utils/http-status";

export type ErrorCode =
  | "BAD_REQUEST"
  | "INVALID_TOKEN"
  | "UNAUTHENTICATED"
  | "INVALID_CREDENTIALS"
  | "FORBIDDEN"
  | "EMAIL_NOT_VERIFIED"
  | "ACCOUNT_SUSPENDED"
  | "ORG_SUSPENDED"
  | "FEATURE_DISABLED"
  | "QUOTA_EXCEEDED"
  | "NOT_FOUND"
  | "METHOD_NOT_ALLOWED"
  | "CONFLICT"
  | "PAYLOAD_TOO_LARGE"
  | "UNSUPPORTED_MEDIA_TYPE"
  | "VALIDATION_ERROR"
  | "RATE_LIMITED"
  | "INTERNAL_ERROR"
  | "MISCONFIGURED"
  | "UPSTREAM_UNAVAILABLE";

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export class AppError extends Error {
  readonly status: ContentfulStatusCode;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(status: ContentfulStatusCode, code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AppError";
    this.status = status;
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
  return details === undefined ? { error: { code, message } } : { error: { code, message, details } };
}

/** 429 with the number of seconds after which the client may try again (Retry-After). */
export class RateLimitedError extends AppError {
  readonly retryAfterSeconds: number;
  /**
   * Which limit refused, e.g. "login: 5 per 900 s per client", for the server log only: the body
   * stays the same for every limit, so a client learns nothing about the others.
   */
  readonly limit: string;

  constructor(retryAfterSeconds: number, limit: string) {
    super(429, "RATE_LIMITED", "Too many requests. Try again later.", {
      retry_after_seconds: retryAfterSeconds,
    });
    this.retryAfterSeconds = retryAfterSeconds;
    this.limit = limit;
  }
}
