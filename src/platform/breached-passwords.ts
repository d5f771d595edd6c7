// The breached-password check (SEC-71): the Pwned Passwords range API behind a small client
// interface, and the rule every route that sets a password applies before hashing it.
import type { BreachedPasswordsConfig } from "../config/breached-passwords";
import { requireSubsystemConfig } from "../config";
import { AppError } from "../errors";
import { logEvent } from "../lib/log";
import type { ServiceContext } from "./service-context";

/** "breached": seen in a breach; "unknown": the service could not answer (why, for the log). */
type BreachVerdict = { kind: "breached"; count: number } | { kind: "clean" } | { kind: "unknown"; reason: string };

interface BreachedPasswordChecker {
  check(password: string): Promise<BreachVerdict>;
}

/** The range API answers from Cloudflare's cache in tens of ms; past this it counts as down. */
const TIMEOUT_MS = 2_000;
/** A padded range is 800 to 1,000 lines of ~40 bytes; anything near this is not one. */
const MAX_RESPONSE_BYTES = 256 * 1024;
const PREFIX_LENGTH = 5;

/**
 * The real client, k-anonymity model (https://haveibeenpwned.com/API/v3#SearchingPwnedPasswordsByRange):
 * only the first 5 hex characters of the password's SHA-1 leave the worker, and `Add-Padding`
 * makes every answer 800 to 1,000 lines, so its size does not tell an observer of the TLS stream
 * which prefix was asked. The padding lines have a count of 0 and never match.
 */
function createPwnedPasswordsChecker(options: { apiBase: string; fetcher?: typeof fetch }): BreachedPasswordChecker {
  const fetcher = options.fetcher ?? fetch;
  return {
    async check(password) {
      const hash = await sha1Hex(password);
      const prefix = hash.slice(0, PREFIX_LENGTH);
      let text: string;
      try {
        const response = await fetcher(`${options.apiBase}/range/${prefix}`, {
          headers: { "Add-Padding": "true", Accept: "text/plain" },
          redirect: "manual",
          signal: AbortSignal.timeout(TIMEOUT_MS),
        });
        if (!response.ok) {
          await response.body?.cancel();
          return { kind: "unknown", reason: `status_${response.status}` };
        }
        text = await response.text();
      } catch (error) {
        return {
          kind: "unknown",
          reason: error instanceof Error && error.name === "TimeoutError" ? "timeout" : "unreachable",
        };
      }
      if (text.length > MAX_RESPONSE_BYTES) return { kind: "unknown", reason: "too_large" };
      const count = findSuffixCount(text, hash.slice(PREFIX_LENGTH));
      return count > 0 ? { kind: "breached", count } : { kind: "clean" };
    },
  };
}

/** The count of `suffix` in a range response (`SUFFIX:COUNT` lines, CRLF); 0 when absent or padding. */
export function findSuffixCount(rangeBody: string, suffix: string): number {
  for (const line of rangeBody.split("\n")) {
    const separator = line.indexOf(":");
    if (separator < 0 || line.slice(0, separator).toUpperCase() !== suffix) continue;
    const count = Number.parseInt(line.slice(separator + 1).trim(), 10);
    return Number.isFinite(count) && count > 0 ? count : 0;
  }
  return 0;
}

async function sha1Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-1", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("")
    .toUpperCase();
}

const BREACHED_PASSWORD_MESSAGE =
  "This password has appeared in a data breach, so attackers try it first. Choose another one.";

/**
 * Refuses a new password that appears in a breach: 422 VALIDATION_ERROR on `field`, before any
 * hashing. Off: nothing. Service unreachable: accepted with a logged warning (fail open, SEC-71)
 * or 502 UPSTREAM_UNAVAILABLE (PWNED_PASSWORDS_ON_ERROR=closed); never the password in the log.
 */
export async function rejectBreachedPassword(ctx: ServiceContext, password: string, field: string): Promise<void> {
  const config: BreachedPasswordsConfig = requireSubsystemConfig(ctx.config, "breachedPasswords");
  if (!config.enabled) return;
  const checker: BreachedPasswordChecker = createPwnedPasswordsChecker({ apiBase: config.apiBase });
  const verdict = await checker.check(password);
  if (verdict.kind === "breached") {
    throw new AppError("VALIDATION_ERROR", BREACHED_PASSWORD_MESSAGE, {
      fields: [{ field, message: BREACHED_PASSWORD_MESSAGE }],
    });
  }
  if (verdict.kind === "unknown") {
    logEvent("warn", "breached_password_check_unavailable", { reason: verdict.reason, on_error: config.onError });
    if (config.onError === "closed") {
      throw new AppError("UPSTREAM_UNAVAILABLE", "The breached-password check is unavailable; try again in a moment.");
    }
  }
}
