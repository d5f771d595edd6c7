// The rate-limit client: the per-IP and per-recipient policies, and the calls services and
// middleware make to the RateLimiter object (SEC-9..11, SEC-56).
import type { Env } from "../env";
import { RateLimitedError } from "../errors";
import { hashToken } from "../lib/crypto";
import { logEvent } from "../lib/log";
import { summarizeError } from "../db/error-summary";
import type { ConsumeResult, RateLimiter } from "../rate-limit/rate-limiter";
import { toIPBucket } from "./ip-bucket";

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
  /**
   * Each call stores a WebAuthn challenge (registration and sign-in options share the bucket): a
   * real ceremony needs one or two, so this only bounds the rows a client can make us write.
   */
  passkeyChallenge: { name: "passkey-challenge", limit: 30, windowSeconds: 15 * MINUTE_SECONDS },
  /** Each one sends two emails; the password guesses share the account's fresh-proof budget. */
  emailChange: { name: "email-change", limit: 5, windowSeconds: HOUR_SECONDS },
  confirmEmailChange: { name: "confirm-email-change", limit: 10, windowSeconds: 15 * MINUTE_SECONDS },
  accountDeletion: { name: "account-deletion", limit: 5, windowSeconds: 15 * MINUTE_SECONDS },
  /** An export reads every row about the caller: a few per hour is plenty for a person. */
  accountExport: { name: "account-export", limit: 5, windowSeconds: HOUR_SECONDS },
  /**
   * Second-factor codes (SEC-67): each pending login has its own 5 attempts and each account its
   * own budget (features/mfa); this one stops one client from cycling through many pending logins.
   */
  mfaVerify: { name: "mfa-verify", limit: 10, windowSeconds: 15 * MINUTE_SECONDS },
  /** A code typed with a session in hand (TOTP confirmation, fresh proofs): the same budget. */
  mfaManage: { name: "mfa-manage", limit: 10, windowSeconds: 15 * MINUTE_SECONDS },
  /** Each one sends an email; the organization and recipient budgets are in features/orgs/invitation-limits.ts. */
  createInvitation: { name: "create-invitation", limit: 30, windowSeconds: HOUR_SECONDS },
  createOrganization: { name: "create-organization", limit: 10, windowSeconds: HOUR_SECONDS },
} as const satisfies Record<string, RateLimitPolicy>;

/**
 * Per recipient address, for routes that send email (SEC-56): however many IPs ask, one mailbox
 * gets at most this many of each kind of email. Over the limit the route answers exactly as
 * before and the email is simply not sent, so the limit reveals nothing about the address.
 */
export const RECIPIENT_LIMITS = {
  passwordReset: { name: "forgot-password-recipient", limit: 3, windowSeconds: HOUR_SECONDS },
  verification: { name: "resend-verification-recipient", limit: 3, windowSeconds: HOUR_SECONDS },
  alreadyRegistered: { name: "signup-taken-recipient", limit: 3, windowSeconds: HOUR_SECONDS },
  emailChange: { name: "email-change-recipient", limit: 3, windowSeconds: HOUR_SECONDS },
} as const satisfies Record<string, RateLimitPolicy>;

/** Every request without a client IP shares this one bucket per policy (SEC-10, fail closed). */
const NO_IP_BUCKET = "no-ip";

/** The part of a per-IP key that names the client: its IPv6 /64 or IPv4 address (SEC-56), or the shared bucket. */
export function clientIPKey(ip: string | null): string {
  return ip === null ? NO_IP_BUCKET : toIPBucket(ip);
}

/** The object name of a per-client-IP policy: one bucket per policy and IP. */
export function clientKey(policy: RateLimitPolicy, clientIP: string | null): string {
  return `${policy.name}:${clientIPKey(clientIP)}`;
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
 * Counts one email to `normalizedEmail` under `policy`; throws RateLimitedError (429 + Retry-After)
 * when over (SEC-56). For routes whose refusal may show (an invitation, whose sender is signed in);
 * where it must not, use consumeRecipientLimit. The object is named by the SHA-256 of the address,
 * never the address itself: object names can surface in dashboards and logs.
 */
export async function consumeRecipientRateLimit(
  env: Env,
  policy: RateLimitPolicy,
  normalizedEmail: string,
): Promise<void> {
  await consumeRateLimit(env, `${policy.name}:${await hashToken(normalizedEmail)}`, policy);
}

/**
 * Counts one email to `normalizedEmail` under `policy` and answers whether it may be sent (SEC-56).
 * Call it for every request, whether or not the address has an account, and after the response
 * (ctx.defer), so neither the count nor its cost says anything about the address. The object is
 * named by the SHA-256 of the address, never the address itself. If the limiter is unavailable the
 * email is not sent (fail closed, as callLimiter explains).
 */
export async function consumeRecipientLimit(
  env: Env,
  policy: RateLimitPolicy,
  normalizedEmail: string,
): Promise<boolean> {
  try {
    await consumeRateLimit(env, `${policy.name}:${await hashToken(normalizedEmail)}`, policy);
    return true;
  } catch (error) {
    if (error instanceof RateLimitedError) return false;
    throw error;
  }
}

/**
 * A policy that could admit everything (limit 0 or NaN, window 0) is a programming error: it
 * fails when the route is defined, not silently at request time.
 */
export function assertValidPolicy(policy: RateLimitPolicy): void {
  const { limit, windowSeconds } = policy;
  if (!Number.isInteger(limit) || limit < 1 || !Number.isFinite(windowSeconds) || windowSeconds <= 0) {
    throw new RangeError(`Rate limit "${policy.name}" needs an integer limit >= 1 and a positive window.`);
  }
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
export async function callLimiter<T>(
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
      // The Durable Object's storage is SQLite too: its errors are logged like D1's (SEC-63).
      ...summarizeError(error),
    });
    throw new RateLimitedError(1, `${policyName}: the rate limiter is unavailable (fail closed)`);
  }
}
