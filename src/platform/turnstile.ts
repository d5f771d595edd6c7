// Cloudflare Turnstile's siteverify over fetch (SEC-72):
// https://developers.cloudflare.com/turnstile/get-started/server-side-validation/
import type { TurnstileConfig } from "../config/turnstile";

/** "unavailable": siteverify did not answer usably (why, for the log); not the client's fault. */
export type TurnstileVerdict =
  | { kind: "passed" }
  | { kind: "refused"; errorCodes: string[] }
  | { kind: "unavailable"; reason: string };

/** Turnstile tokens are at most 2,048 characters; a longer one is refused without asking. */
const TURNSTILE_TOKEN_MAX_LENGTH = 2048;
const TIMEOUT_MS = 5_000;
const MAX_RESPONSE_BYTES = 16 * 1024;

/**
 * Asks siteverify about one token. Passing takes `success: true` and the hostname the widget ran
 * on being ours: a sitekey may list several hostnames, and a token solved on another of them is
 * not a visit to this app. `action` is not checked (docs/bot-protection.md): one widget
 * configuration serves the four forms, and a token is single use and expires in 300 s anyway.
 */
export async function verifyTurnstileToken(
  config: TurnstileConfig,
  token: string,
  remoteIP: string | null,
  fetcher: typeof fetch = fetch,
): Promise<TurnstileVerdict> {
  if (token.length > TURNSTILE_TOKEN_MAX_LENGTH) return { kind: "refused", errorCodes: ["invalid-input-response"] };
  const form = new URLSearchParams({ secret: config.secretKey, response: token });
  // remoteip lets Cloudflare check the token was solved by the same client that now presents it.
  if (remoteIP) form.set("remoteip", remoteIP);
  let text: string;
  try {
    const response = await fetcher(config.siteverifyURL, {
      method: "POST",
      body: form,
      redirect: "manual",
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
    if (!response.ok) {
      await response.body?.cancel();
      return { kind: "unavailable", reason: `status_${response.status}` };
    }
    text = await response.text();
  } catch (error) {
    return {
      kind: "unavailable",
      reason: error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable",
    };
  }
  if (text.length > MAX_RESPONSE_BYTES) return { kind: "unavailable", reason: "too_large" };
  const outcome = parseOutcome(text);
  if (!outcome) return { kind: "unavailable", reason: "unreadable" };
  if (outcome.success !== true) return { kind: "refused", errorCodes: outcome.errorCodes };
  if (outcome.hostname?.toLowerCase() !== config.hostname.toLowerCase()) {
    return { kind: "refused", errorCodes: ["hostname-mismatch"] };
  }
  return { kind: "passed" };
}

function parseOutcome(text: string): { success: unknown; hostname: string | null; errorCodes: string[] } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (value === null || typeof value !== "object" || !("success" in value)) return null;
  const body = value as Record<string, unknown>;
  const errorCodes = Array.isArray(body["error-codes"])
    ? body["error-codes"].filter((code): code is string => typeof code === "string").slice(0, 10)
    : [];
  return { success: body.success, hostname: typeof body.hostname === "string" ? body.hostname : null, errorCodes };
}
