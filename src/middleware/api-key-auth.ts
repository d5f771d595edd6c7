// The API key half of the access gate (SEC-73): the bearer header, one D1 read, the per-key limit.
import type { Context } from "hono";
import type { AppEnv } from "../env";
import { AppError } from "../errors";
import { logEvent } from "../lib/log";
import { summarizeError } from "../db/error-summary";
import {
  type ApiKeyPrincipal,
  authenticateApiKey,
  claimLastUseWrite,
  recordApiKeyUse,
} from "../platform/api-keys/service";
import { apiKeyRateLimit, consumeRateLimit } from "../platform/rate-limit";

/** The Authorization header as sent, or undefined when there is none. */
export function readAuthorization(c: Context<AppEnv>): string | undefined {
  return c.req.header("authorization");
}

const BEARER = /^Bearer (\S+)$/;

/**
 * The key's principal, counted against its own exact limit; throws 401 for anything but a usable
 * key. The limit is counted after the key is known and before scope and role are checked: a key
 * over its limit is answered 429 with Retry-After whatever it asks for, never 401 (the bug of
 * limiters that run before or instead of authentication), and a key probing routes it may not call
 * spends its budget doing so.
 */
export async function authenticateBearerApiKey(c: Context<AppEnv>, authorization: string): Promise<ApiKeyPrincipal> {
  const key = BEARER.exec(authorization)?.[1];
  const now = Date.now();
  const principal = key ? await authenticateApiKey(c.get("db"), key, now) : null;
  // One answer for malformed, unknown, revoked, expired and suspended: which it was is no one's business.
  if (!principal) throw new AppError("UNAUTHENTICATED", "A valid API key is required (Authorization: Bearer rk_…).");
  const policy = apiKeyRateLimit(principal.rateLimitPerMinute);
  await consumeRateLimit(c.env, `${policy.name}:${principal.id}`, policy);
  if (claimLastUseWrite(principal, now)) deferLastUse(c, principal.id, now);
  return principal;
}

/**
 * last_used_at is written after the response, at most once a minute per key, so the hot path is
 * one read: keys whose every check writes to storage are what rate-limited (KV 429s) elsewhere.
 */
function deferLastUse(c: Context<AppEnv>, keyId: string, now: number): void {
  c.executionCtx.waitUntil(
    recordApiKeyUse(c.get("db"), keyId, now).catch((error: unknown) => {
      logEvent("error", "api_key_last_use_failed", { request_id: c.get("requestId"), ...summarizeError(error) });
    }),
  );
}
