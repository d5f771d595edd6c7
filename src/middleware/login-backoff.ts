// The login back-off client (SEC-12, SEC-55): one RateLimiter object per account, which keeps a
// hard back-off per client and a short account-wide slow-down (rate-limit/login-backoff.ts).
import type { Env } from "../env";
import { RateLimitedError } from "../errors";
import { hashToken } from "../lib/crypto";
import type { BackoffResult, LoginClientScope } from "../rate-limit/rate-limiter";
import { callLimiter, clientIPKey } from "../platform/rate-limit";

/** Prefix of the per-account back-off objects; the rest of the name is SHA-256 of the email. */
const LOGIN_ACCOUNT_PREFIX = "login-account";

/**
 * Who is signing in: a device that signed in to this account before (its verified device cookie,
 * features/auth/device-token.ts), or else the client's IP bucket (IPv6 /64, SEC-56).
 */
export type LoginClient = { kind: "device"; deviceId: string } | { kind: "ip"; ip: string | null };

export interface LoginAttempt {
  /** Already normalized by the caller, so that case variants share one account. */
  normalizedEmail: string;
  client: LoginClient;
}

/**
 * An attempt the back-off admitted: the account's object and the client's scope it was counted
 * under, each hashed once. Only an admitted attempt can have its outcome recorded.
 */
export interface AdmittedLoginAttempt {
  readonly objectKey: string;
  readonly scope: LoginClientScope;
}

/**
 * Admits one attempt unless this client is backed off on this account, or (for a client without
 * a device cookie) the account-wide slow-down holds it for a few seconds; throws RateLimitedError
 * (429 + Retry-After) otherwise. The attempt counts as a failure until recordLoginSuccess()
 * forgives it, so call this once per real attempt, before its password verdict is used.
 */
export async function admitLoginAttempt(env: Env, attempt: LoginAttempt): Promise<AdmittedLoginAttempt> {
  const [objectKey, scope] = await Promise.all([accountObjectKey(attempt.normalizedEmail), toScope(attempt.client)]);
  const result = await callLimiter<BackoffResult>(env, objectKey, LOGIN_ACCOUNT_PREFIX, (limiter) =>
    limiter.admitLoginAttempt(scope),
  );
  if (!result.allowed) {
    throw new RateLimitedError(
      result.retryAfterSeconds,
      "login back-off of the account for this client (SEC-12, SEC-55)",
    );
  }
  return { objectKey, scope };
}

export async function recordLoginFailure(env: Env, admitted: AdmittedLoginAttempt): Promise<void> {
  await callLimiter(env, admitted.objectKey, LOGIN_ACCOUNT_PREFIX, (limiter) =>
    limiter.recordLoginFailure(admitted.scope),
  );
}

export async function recordLoginSuccess(env: Env, admitted: AdmittedLoginAttempt): Promise<void> {
  await callLimiter(env, admitted.objectKey, LOGIN_ACCOUNT_PREFIX, (limiter) =>
    limiter.recordLoginSuccess(admitted.scope),
  );
}

/**
 * After a completed password reset: every client's back-off on the account ends (SEC-55). Best
 * effort: the password is already changed, so if the limiter is unavailable (logged by
 * callLimiter) the back-off simply runs out on its own instead of failing the reset.
 */
export async function liftLoginBackoff(env: Env, normalizedEmail: string): Promise<void> {
  try {
    await callLimiter(env, await accountObjectKey(normalizedEmail), LOGIN_ACCOUNT_PREFIX, (limiter) =>
      limiter.liftLoginBackoff(),
    );
  } catch (error) {
    if (!(error instanceof RateLimitedError)) throw error;
  }
}

/**
 * The object stores the client only as SHA-256 of its identity, so neither IPs nor device ids sit
 * in its storage; the kind is part of the hashed text, so a device id can never collide with an IP.
 */
async function toScope(client: LoginClient): Promise<LoginClientScope> {
  const identity = client.kind === "device" ? `device:${client.deviceId}` : `ip:${clientIPKey(client.ip)}`;
  return { client: await hashToken(identity), isTrustedDevice: client.kind === "device" };
}

/** Object names can surface in dashboards and logs, so the email goes in only as its SHA-256. */
async function accountObjectKey(normalizedEmail: string): Promise<string> {
  return `${LOGIN_ACCOUNT_PREFIX}:${await hashToken(normalizedEmail)}`;
}
