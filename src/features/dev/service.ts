// The development outbox: what the stub email provider stored, only where that provider runs.
import { AppError } from "../../errors";
import { listDevEmails } from "../../email/stub";
import { normalizeEmail } from "../../lib/email-address";
import type { ServiceContext } from "../../platform/service-context";

/**
 * Outside ENVIRONMENT=dev with EMAIL_PROVIDER=stub the outbox does not exist (404): its messages
 * carry live verification and reset tokens.
 */
export function listOutbox(ctx: ServiceContext, options: { to?: string; limit: number }) {
  if (ctx.config.environment !== "dev" || ctx.config.email.provider !== "stub") {
    throw new AppError("NOT_FOUND", "Not found.");
  }
  const recipient = options.to === undefined ? undefined : normalizeEmail(options.to);
  return listDevEmails(ctx.db, { ...(recipient === undefined ? {} : { recipient }), limit: options.limit });
}
