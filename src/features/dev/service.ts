// Development helpers: the stub outbox and the rate-limit reset. Their routes exist only with
// ENVIRONMENT=dev (defineRoute's onlyInEnvironment), so these run nowhere else.
import { AppError } from "../../errors";
import { listDevEmails } from "../../email/stub";
import { normalizeEmail } from "../../lib/email-address";
import { logEvent } from "../../lib/log";
import { liftLoginBackoff } from "../../middleware/login-backoff";
import { clearClientRateLimits } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";

/** The outbox exists only with the stub provider (404 otherwise): its messages carry live tokens. */
export function listOutbox(ctx: ServiceContext, options: { to?: string; limit: number }) {
  if (ctx.config.email.provider !== "stub") throw new AppError("NOT_FOUND", "Not found.");
  const recipient = options.to === undefined ? undefined : normalizeEmail(options.to);
  return listDevEmails(ctx.db, { ...(recipient === undefined ? {} : { recipient }), limit: options.limit });
}

/**
 * Empties every per-IP limit of these clients and, with `email`, that account's login back-off, for
 * a newcomer locked out by a few mistyped requests. Returns the policies cleared.
 */
export async function resetRateLimits(
  ctx: ServiceContext,
  options: { clientIPs: ReadonlyArray<string | null>; email?: string },
): Promise<string[]> {
  const policies = await clearClientRateLimits(ctx.env, options.clientIPs);
  if (options.email !== undefined) await liftLoginBackoff(ctx.env, normalizeEmail(options.email));
  logEvent("info", "dev_rate_limits_reset", {
    policies: policies.length,
    account_backoff: options.email !== undefined,
  });
  return policies;
}
