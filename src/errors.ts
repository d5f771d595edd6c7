// The error table (each code, its one HTTP status, what it means), AppError, and the one JSON error
// body every response uses (API.md, "Conventions"). docs/errors.md and the OpenAPI error responses
// are generated from ERRORS; test/node/errors-doc.test.ts fails when the page is stale.

/**
 * Every error code the API answers with, declared once. A code has exactly one status, so a
 * client can branch on either; several codes may share a status (401, 403).
 */
export const ERRORS = {
  BAD_REQUEST: { status: 400, description: "The body is not valid JSON, or a signed request's signature is wrong." },
  MFA_CODE_INVALID: {
    status: 400,
    description: "The TOTP or recovery code is wrong, expired or already used.",
  },
  INVALID_TOKEN: {
    status: 400,
    description: "An emailed token (verification, reset, invitation) is unknown, used or expired.",
  },
  PASSKEY_REGISTRATION_INVALID: {
    status: 400,
    description:
      "A passkey registration could not be verified (used or expired challenge, wrong origin, bad attestation).",
  },
  UNAUTHENTICATED: {
    status: 401,
    description: "No valid session (missing, expired, revoked or unknown), or no valid cron secret.",
  },
  INVALID_CREDENTIALS: { status: 401, description: "Wrong email or password; the same answer for both." },
  PASSKEY_INVALID: {
    status: 401,
    description:
      "A passkey sign-in was refused: unknown passkey, used or expired challenge, wrong origin, no user verification, bad signature or a signature counter that went backwards.",
  },
  MFA_CHALLENGE_INVALID: {
    status: 401,
    description:
      "The pending sign-in (mfa_pending cookie) is missing, expired, used or out of attempts: sign in again.",
  },
  REAUTH_REQUIRED: {
    status: 401,
    description:
      "A sensitive action without a fresh proof: send current_password (plus code when a second factor is on), or sign in again.",
  },
  QUOTA_EXCEEDED: {
    status: 402,
    description: "A metered quota, or the AI allotment with credits and overage, is exhausted.",
  },
  FORBIDDEN: {
    status: 403,
    description: "The role is too low, or the request is cross-site or from an untrusted origin.",
  },
  EMAIL_NOT_VERIFIED: { status: 403, description: "Sign-in before the email address is verified." },
  ACCOUNT_SUSPENDED: { status: 403, description: "The user is suspended." },
  ORG_SUSPENDED: { status: 403, description: "The user's organization is suspended." },
  NO_ORGANIZATION: {
    status: 403,
    description: "The account belongs to no organization any more (it left or was removed from all of them).",
  },
  MFA_REQUIRED: {
    status: 403,
    description: "The organization requires a second factor (require_mfa) and the caller has none: enrol at /auth/mfa.",
  },
  FEATURE_DISABLED: { status: 403, description: "The organization's plan has the feature off (e.g. enable_ai)." },
  TURNSTILE_REQUIRED: {
    status: 403,
    description: "Bot protection is on and the request carries no CF-Turnstile-Response header.",
  },
  TURNSTILE_FAILED: {
    status: 403,
    description: "Cloudflare Turnstile refused the token (invalid, expired, used, or from another site).",
  },
  NOT_FOUND: {
    status: 404,
    description: "Unknown route, or a resource that does not exist in the caller's organization.",
  },
  METHOD_NOT_ALLOWED: {
    status: 405,
    description: "The path exists but not with this method; Allow lists the methods.",
  },
  CONFLICT: {
    status: 409,
    description: "The change conflicts with the current state (duplicate, last org_admin, ...).",
  },
  PAYLOAD_TOO_LARGE: { status: 413, description: "The body is over the route's limit." },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, description: "A body that is not application/json on a JSON route." },
  VALIDATION_ERROR: {
    status: 422,
    description: "The request does not match the route's schema; details.fields lists each field.",
  },
  RATE_LIMITED: {
    status: 429,
    description: "Too many requests; Retry-After and details.retry_after_seconds say when to retry.",
  },
  INTERNAL_ERROR: {
    status: 500,
    description: "An unexpected failure; logged with the request id, never explained to the client.",
  },
  // 502, not 503 (RFC 9110 §15.6.3): an upstream we called (Stripe, Google, the AI provider) failed,
  // and the client may retry. 503 stays MISCONFIGURED's alone: this deployment cannot serve until
  // an operator fixes a setting, so a client and a monitor can tell the two apart by status.
  UPSTREAM_UNAVAILABLE: {
    status: 502,
    description:
      "A provider (Stripe, Google, the AI provider, Turnstile, Pwned Passwords) failed or is unreachable; retry later.",
  },
  MISCONFIGURED: {
    status: 503,
    description: "A setting this request needs is missing or invalid; details.settings names them.",
  },
} as const satisfies Record<string, { status: ErrorStatus; description: string }>;

export type ErrorCode = keyof typeof ERRORS;

/** The statuses an error may have: client and server errors that carry the JSON body. */
type ErrorStatus = 400 | 401 | 402 | 403 | 404 | 405 | 409 | 413 | 415 | 422 | 429 | 500 | 502 | 503;

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: Record<string, unknown> };
}

export class AppError extends Error {
  readonly status: ErrorStatus;
  readonly code: ErrorCode;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = "AppError";
    this.status = ERRORS[code].status;
    this.code = code;
    this.details = details;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

function errorBody(code: ErrorCode, message: string, details?: Record<string, unknown>): ErrorBody {
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
    super("RATE_LIMITED", "Too many requests. Try again later.", {
      retry_after_seconds: retryAfterSeconds,
    });
    this.retryAfterSeconds = retryAfterSeconds;
    this.limit = limit;
  }
}
