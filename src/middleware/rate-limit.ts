// Global per-IP rate limits and per-account login back-off, both kept by the RateLimiter object.
import type { MiddlewareHandler } from "hono";
import { createMiddleware } from "hono/factory";
import type { AppEnv, Env } from "../env";
import { RateLimitedError } from "../errors";
import { hashToken } from "../lib/crypto";
import { logEvent } from "../lib/log";
import type { BackoffResult, ConsumeResult, RateLimiter } from "../rate-limit/rate-limiter";

export interface RateLimitPolicy {
  name: string;
  limit: number;
  windowSeconds: number;
}

const MINUTE_SECONDS = 60;
const HOUR_SECONDS = 60 * MINUTE_SECONDS;

/**
 * Per client IP and route (SEC-9, SEC-13). The first five are fixed by SECURITY.md. The token
 * submissions (verifyEmail, resetPassword, acceptInvitation) carry 256-bit tokens that cannot be guessed online, so
 * their limit only stops hammering while leaving room for double clicks and typos in the new
 * password: 10 / 15 min. passwordUpdate is an online guess of the same secret login protects,
 * made with a session in hand, so it gets login's budget (5 / 15 min): a stolen cookie must not
 * be a faster way to guess the password than the login form.
 */
export const RATE_LIMITS = {
  login: { name: "login", limit: 5, windowSeconds: 15 * MINUTE_SECONDS },
  signup: { name: "signup", limit: 3, windowSeconds: HOUR_SECONDS },
  signupOrg: { name: "signup-org", limit: 3, windowSeconds: HOUR_SECONDS },
  forgotPassword: { name: "forgot-password", limit: 3, windowSeconds: HOUR_SECONDS },
  resendVerification: { name: "resend-verification", limit: 10, windowSeconds: MINUTE_SECONDS },
  verifyEmail: { name: "verify-email", limit: 10, windowSeconds: 15 * MINUTE_SECONDS },
  resetPassword: { name: "reset-password", limit: 10, windowSeconds: 15 * MINUTE_SECONDS },
  acceptInvitation: { name: "accept-invitation", limit: 10, windowSeconds: 15 * MINUTE_SECONDS },
  passwordUpdate: { name: "password-update", limit: 5, windowSeconds: 15 * MINUTE_SECONDS },
} as const satisfies Record<string, RateLimitPolicy>;

/** Every request without a client IP shares this one bucket per policy (SEC-10, fail closed). */
const NO_IP_BUCKET = "no-ip";

/** Prefix of the per-account back-off objects; the rest of the name is SHA-256 of the email. */
const LOGIN_ACCOUNT_PREFIX = "login-account";

/** Counts the request against `policy` for its client IP before the route (and any hashing) runs. */
export function rateLimit(policy: RateLimitPolicy): MiddlewareHandler<AppEnv> {
  assertValidPolicy(policy);
  return createMiddleware<AppEnv>(async function rateLimit(c, next) {
    await consumeRateLimit(c.env, clientKey(policy, c.get("clientIP")), policy);
    await next();
  });
}

/** The object name of a per-client-IP policy: one bucket per policy and IP. */
function clientKey(policy: RateLimitPolicy, clientIP: string | null): string {
  return `${policy.name}:${clientIP ?? NO_IP_BUCKET}`;
}

/**
 * Development only (POST /dev/rate-limits/reset, 404 outside ENVIRONMENT=dev): empties every
 * per-IP bucket of RATE_LIMITS for these clients, so that a newcomer whose typos (400 and 415
 * count toward login's 5 per 15 minutes) locked them out can go on. Returns the policies cleared.
 */
export async function clearClientRateLimits(env: Env, clientIPs: ReadonlyArray<string | null>): Promise<string[]> {
  const policies: RateLimitPolicy[] = Object.values(RATE_LIMITS);
  await Promise.all(
    [...new Set(clientIPs)].flatMap((clientIP) =>
      policies.map((policy) =>
        callLimiter(env, clientKey(policy, clientIP), policy.name, (limiter) => limiter.clear()),
      ),
    ),
  );
  return policies.map((policy) => policy.name);
}

/** Counts one request under `key`; throws RateLimitedError (429 + Retry-After) when over. */
export async function consumeRateLimit(env: Env, key: string, policy: RateLimitPolicy): Promise<void> {
  assertValidPolicy(policy);
  const result = await callLimiter<ConsumeResult>(env, key, policy.name, (limiter) =>
    limiter.consume(policy.limit, policy.windowSeconds),
  );
  if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds, describePolicy(policy));
}

/** The policy as the server log names it; never the key, which holds an IP or an email hash. */
function describePolicy(policy: RateLimitPolicy): string {
  return `${policy.name}: ${policy.limit} per ${policy.windowSeconds} s`;
}

/**
 * Admits one login attempt for the account unless it is backed off (SEC-12). The attempt counts
 * as a failure until clearLoginFailures() forgives it, so call this once per real attempt, right
 * before the password check. `normalizedEmail` must already be normalized by the caller, so that
 * case variants share one account.
 */
export async function checkLoginBackoff(env: Env, normalizedEmail: string): Promise<void> {
  const key = await accountKey(normalizedEmail);
  const result = await callLimiter<BackoffResult>(env, key, LOGIN_ACCOUNT_PREFIX, (limiter) => limiter.checkBackoff());
  if (!result.allowed) throw new RateLimitedError(result.retryAfterSeconds, "login back-off of the account (SEC-12)");
}

export async function recordLoginFailure(env: Env, normalizedEmail: string): Promise<void> {
  const key = await accountKey(normalizedEmail);
  await callLimiter(env, key, LOGIN_ACCOUNT_PREFIX, (limiter) => limiter.recordFailure());
}

export async function clearLoginFailures(env: Env, normalizedEmail: string): Promise<void> {
  const key = await accountKey(normalizedEmail);
  await callLimiter(env, key, LOGIN_ACCOUNT_PREFIX, (limiter) => limiter.reset());
}

/**
 * A policy that could admit everything (limit 0 or NaN, window 0) is a programming error: it
 * fails when the route is defined, not silently at request time.
 */
function assertValidPolicy(policy: RateLimitPolicy): void {
  const { limit, windowSeconds } = policy;
  if (!Number.isInteger(limit) || limit < 1 || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`Rate limit "${policy.name}" needs an integer limit >= 1 and a positive window.`);
  }
}

/** Object names can surface in dashboards and logs, so the email goes in only as its SHA-256. */
async function accountKey(normalizedEmail: string): Promise<string> {
  return `${LOGIN_ACCOUNT_PREFIX}:${await hashToken(normalizedEmail)}`;
}

/**
 * Calls the object for `key`. If the call itself fails (object unavailable, overloaded, reset
 * during a deploy), the request is refused with 429 and Retry-After: 1, not let through: these
 * limits guard credential checks, and letting requests pass whenever the limiter is down would
 * turn any way of making it fail into unlimited guessing. A 500 would be wrong because nothing is
 * broken in the request and the client should simply retry; 503 MISCONFIGURED means a deployment
 * error, which a transient object failure is not. The error is logged for operators without the
 * key, which may hold a client IP.
 */
async function callLimiter<T>(
  env: Env,
  key: string,
  policyName: string,
  call: (limiter: DurableObjectStub<RateLimiter>) => Promise<T>,
): Promise<T> {
  try {
    return await call(env.RATE_LIMITER.get(env.RATE_LIMITER.idFromName(key)));
  } catch (error) {
    logEvent("error", "rate_limiter_unavailable", {
      policy: policyName,
      error: error instanceof Error ? `${error.name}: ${error.message}` : String(error),
    });
    throw new RateLimitedError(1, `${policyName}: the rate limiter is unavailable (fail closed)`);
  }
}
