// How many invitation emails may go out (SEC-56). Every B2C account is the org_admin of its own
// organization, so POST /invitations is open to anyone who signs up: without limits it is a mail
// cannon pointed at any address, from our domain. Three budgets, each closing one way around the
// others:
// - per client IP (the route's middleware, RATE_LIMITS.createInvitation): one machine, many orgs;
// - per organization: one org, many machines (a session cookie works from any IP);
// - per recipient address: many orgs and machines aimed at one mailbox.
// Re-inviting (which revokes and re-sends) goes through the same route and counts like a first one.
import { consumeRateLimit, consumeRecipientRateLimit, type RateLimitPolicy } from "../../platform/rate-limit";
import type { ServiceContext } from "../../platform/service-context";

const HOUR_SECONDS = 60 * 60;

const INVITATION_LIMITS = {
  /** Room for onboarding a team in one sitting; a spammer's org runs dry after a day's worth. */
  perOrganization: { name: "invitation-org", limit: 100, windowSeconds: 24 * HOUR_SECONDS },
  /** A resend after a typo in the role, and one more; a mailbox gets at most 3 an hour from everyone. */
  perRecipient: { name: "invitation-recipient", limit: 3, windowSeconds: HOUR_SECONDS },
} as const satisfies Record<string, RateLimitPolicy>;

/**
 * Counts one invitation against its organization's and its recipient's budgets, or throws
 * RateLimitedError (429 + Retry-After) before anything is written or sent. The organization goes
 * first: a request refused there must not use up the recipient's budget, or an org that is
 * already over its limit could still keep a stranger's mailbox blocked for legitimate inviters.
 * The recipient is counted whether or not the address has an account, so the 429 says nothing
 * about accounts (SEC-57).
 */
export async function consumeInvitationLimits(
  ctx: ServiceContext,
  input: { organizationId: string; normalizedEmail: string },
): Promise<void> {
  const { perOrganization } = INVITATION_LIMITS;
  await consumeRateLimit(ctx.env, `${perOrganization.name}:${input.organizationId}`, perOrganization);
  await consumeInvitationRecipientLimit(ctx, input.normalizedEmail);
}

/**
 * The recipient's budget alone, for invitations that have no organization budget yet (a sys_admin
 * creating an organization); keyed like every per-recipient limit (platform/rate-limit.ts).
 */
export async function consumeInvitationRecipientLimit(ctx: ServiceContext, normalizedEmail: string): Promise<void> {
  await consumeRecipientRateLimit(ctx.env, INVITATION_LIMITS.perRecipient, normalizedEmail);
}
