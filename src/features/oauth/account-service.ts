// Who a verified provider identity signs in as (SEC-40, SEC-41), and the fresh session (SEC-16).
// Knows nothing about HTTP or about how the identity was verified.
import type { BatchItem } from "drizzle-orm/batch";
import { EMAIL_MAX_LENGTH, normalizeEmail } from "../../lib/email-address";
import { buildSession, type IssuedSession } from "../../platform/sessions/service";
import { insertSession } from "../../platform/sessions/repo";
import { buildPendingLogin, type IssuedPendingLogin } from "../../platform/mfa-pending";
import { publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { isUniqueViolation } from "../../db/errors";
import { buildOrganizationInsert, buildUserInsert, findUserByEmail } from "../users/service";
import { retryStripeCustomerIfMissing } from "../billing/customer-service";
import { buildMembershipInsert } from "../orgs/memberships-service";
import { OAuthFailure } from "./errors";
import type { VerifiedIdentity } from "./id-token";
import {
  buildOAuthAccountInsert,
  buildUnverifiedAccountClaim,
  buildUnverifiedSessionsDeletion,
  findLinkedUser,
  hasProviderLink,
} from "./account-repo";
import {
  buildInvitationAcceptance,
  buildInvitationAcceptanceByMember,
  findPendingInvitationById,
} from "../orgs/invitations-service";

/** How the identity found its account: already linked, linked now, claimed, created, or invited. */
type SignInOutcome = "existing" | "linked" | "claimed" | "created" | "invited";

/**
 * A Google sign-in: a session, or, for an account with a second factor, a pending login that the
 * second factor completes (Google counts as the first factor only, SEC-67).
 */
export type OAuthSignIn = {
  userId: string;
  organizationId: string;
  outcome: SignInOutcome;
} & ({ kind: "session"; session: IssuedSession } | { kind: "second_factor"; pending: IssuedPendingLogin });

const NAME_MAX_LENGTH = 100;

/**
 * The rules, in order:
 * 1. An identity already linked by (provider, subject) signs in as its user; the email it carries
 *    today does not matter (users are keyed by subject, not email).
 * 2. Otherwise the provider must assert email_verified: true; only then is the email trusted.
 * 3. An existing verified account with that email is linked (unless it already has another
 *    identity at this provider); an existing unverified one is claimed: its password removed, its
 *    sessions revoked and its email marked verified, in the same batch as the link, so whoever
 *    registered the address without owning it loses every way in.
 * 4. No account: a sign-in started from an invitation link accepts that invitation, and only it
 *    (its id is bound in the signed state; SEC-62), if it is still pending and was sent to this
 *    very email; anything else about it is refused, never replaced by another invitation or a
 *    new organization. Without one, B2C creates an account (with its personal organization, no
 *    password) and B2B refuses: an invitation from another organization for the same address is
 *    never picked on the person's behalf.
 * An invitation bound in the state that is still pending and was sent to the existing account's
 * own email (rules 1 and 3) is accepted in the sign-in's batch: the account joins that
 * organization and the session acts in it. Otherwise the session acts in the account's most
 * recently active organization; an account that belongs to none is refused (not_invited).
 * Suspended users and organizations are refused at every step.
 */
export async function signInWithIdentity(
  ctx: ServiceContext,
  provider: string,
  identity: VerifiedIdentity,
  options: { invitationId: string | null } = { invitationId: null },
): Promise<OAuthSignIn> {
  const linked = await findLinkedUser(ctx.db, provider, identity.subject);
  if (linked) {
    const joining = await joinInvitedOrganization(ctx, linked, options.invitationId);
    return issueSession(
      ctx,
      {
        provider,
        userId: linked.id,
        organizationId: joining.organizationId,
        outcome: "existing",
        hasSecondFactor: Boolean(linked.hasSecondFactor),
        publishesEvents: joining.publishesEvents,
      },
      joining.statements,
    );
  }

  if (!identity.isEmailVerified || identity.email === null) {
    throw new OAuthFailure(
      "email_not_verified",
      identity.email === null ? "claim_email_missing" : "email_not_verified",
    );
  }
  const email = normalizeEmail(identity.email);
  if (email.length > EMAIL_MAX_LENGTH || !/^[^\s@]+@[^\s@]+$/.test(email)) {
    throw new OAuthFailure("invalid_id_token", "claim_email");
  }
  const now = Date.now();
  const link = { id: crypto.randomUUID(), provider, subject: identity.subject, email, createdAt: now };

  const user = await findUserByEmail(ctx, email);
  if (user) {
    const joining = await joinInvitedOrganization(ctx, user, options.invitationId);
    // One identity per provider per user: a second Google account never attaches itself.
    if (await hasProviderLink(ctx.db, provider, user.id)) {
      throw new OAuthFailure("account_conflict", "already_linked_to_another_subject", subjectOf(user));
    }
    const account = {
      provider,
      userId: user.id,
      organizationId: joining.organizationId,
      publishesEvents: joining.publishesEvents,
    };
    const linkInsert = buildOAuthAccountInsert(ctx.db, { ...link, userId: user.id });
    if (user.emailVerifiedAt !== null) {
      return issueSession(ctx, { ...account, outcome: "linked", hasSecondFactor: Boolean(user.hasSecondFactor) }, [
        ...joining.statements,
        linkInsert,
        buildAuditInsert(ctx, auditEvent(ctx, account, "oauth_account_linked")),
      ]);
    }
    const claimed = auditEvent(ctx, account, "oauth_account_claimed", {
      password_removed: true,
      sessions_revoked: true,
    });
    const signIn = await issueSession(ctx, { ...account, outcome: "claimed" }, [
      // Sessions first: the condition "still unverified" no longer holds after the claim.
      buildUnverifiedSessionsDeletion(ctx.db, user.id),
      buildUnverifiedAccountClaim(ctx.db, user.id, now),
      // Recorded only if the claim changed the row (someone may have verified it meanwhile).
      buildAuditInsertIfChanged(ctx, claimed),
      linkInsert,
      ...joining.statements,
    ]);
    logAuditEvent(claimed);
    return signIn;
  }

  const account = { provider, identity, email, link, now };
  if (options.invitationId !== null) return acceptInvitation(ctx, account, options.invitationId);
  if (ctx.config.mode === "b2b") throw new OAuthFailure("not_invited", "no_invitation_in_state");
  return createAccount(ctx, account);
}

/**
 * The organization an existing account's sign-in acts in, and the statements that add it when
 * the sign-in started from an invitation that is still pending and was sent to this account's
 * email (SEC-38): that invitation is accepted in the sign-in's batch. Any other invitation plays
 * no part and the account's most recently active organization is used.
 */
async function joinInvitedOrganization(
  ctx: ServiceContext,
  user: {
    id: string;
    email: string;
    organizationId: string | null;
    suspendedAt: number | null;
    organizationSuspendedAt: number | null;
  },
  invitationId: string | null,
): Promise<{ organizationId: string; statements: BatchItem<"sqlite">[]; publishesEvents: boolean }> {
  const subject = { userId: user.id, organizationId: user.organizationId ?? "" };
  if (user.suspendedAt !== null) throw new OAuthFailure("account_suspended", "user_suspended", subject);
  const now = Date.now();
  const invitation = invitationId === null ? undefined : await findPendingInvitationById(ctx, invitationId, now);
  if (invitation && invitation.email === user.email) {
    if (invitation.organizationSuspendedAt !== null)
      throw new OAuthFailure("organization_suspended", "invitation_organization_suspended", subject);
    const selector = { id: invitation.id, email: user.email };
    return {
      organizationId: invitation.organizationId,
      publishesEvents: true,
      statements: [
        ...buildInvitationAcceptanceByMember(ctx, { invitation: selector, accepted: invitation, userId: user.id, now }),
        buildAuditInsert(ctx, {
          action: "invitation_accepted",
          organizationId: invitation.organizationId,
          actorUserId: user.id,
          target: invitation.id,
          ip: ctx.ip,
          details: { method: "oauth", existing_account: true },
        }),
      ],
    };
  }
  if (user.organizationId === null) throw new OAuthFailure("not_invited", "no_membership", null);
  if (user.organizationSuspendedAt !== null)
    throw new OAuthFailure("organization_suspended", "organization_suspended", subject);
  return { organizationId: user.organizationId, statements: [], publishesEvents: false };
}

interface NewAccountInput {
  provider: string;
  identity: VerifiedIdentity;
  email: string;
  link: { id: string; provider: string; subject: string; email: string; createdAt: number };
  now: number;
}

/** B2C: the organization, its org_admin (verified, no password) and the link, in one batch. */
async function createAccount(ctx: ServiceContext, input: NewAccountInput): Promise<OAuthSignIn> {
  const { identity, email, now } = input;
  const organizationId = crypto.randomUUID();
  const userId = crypto.randomUUID();
  const firstName = cleanName(identity.givenName);
  const lastName = cleanName(identity.familyName);
  const account = { provider: input.provider, userId, organizationId };
  const fullName = [firstName, lastName].filter(Boolean).join(" ");
  return issueSession(ctx, { ...account, outcome: "created" }, [
    buildOrganizationInsert(ctx, {
      id: organizationId,
      name: `${fullName || email}'s organization`,
      createdAt: now,
    }),
    buildUserInsert(ctx, {
      id: userId,
      email,
      passwordHash: null,
      firstName,
      lastName,
      emailVerifiedAt: now,
      createdAt: now,
      updatedAt: now,
    }),
    buildMembershipInsert(ctx, { userId, organizationId, role: "org_admin", now }),
    buildOAuthAccountInsert(ctx.db, { ...input.link, userId }),
    buildAuditInsert(ctx, {
      action: "signup",
      organizationId,
      actorUserId: userId,
      ip: ctx.ip,
      details: { method: input.provider },
    }),
  ]);
}

/**
 * The account comes from the invitation the sign-in was started from, consumed in the same batch.
 * The email is part of every statement's match, so the invitation's address is the one Google
 * verified, even if the id in the state were somebody else's.
 */
async function acceptInvitation(
  ctx: ServiceContext,
  input: NewAccountInput,
  invitationId: string,
): Promise<OAuthSignIn> {
  const { identity, email, now } = input;
  const invitation = await findPendingInvitationById(ctx, invitationId, now);
  if (!invitation) throw new OAuthFailure("not_invited", "invitation_not_pending");
  if (invitation.email !== email) throw new OAuthFailure("not_invited", "invitation_for_another_email");
  if (invitation.organizationSuspendedAt !== null)
    throw new OAuthFailure("organization_suspended", "invitation_organization_suspended");
  const selector = { id: invitation.id, email };
  const userId = crypto.randomUUID();
  const account = {
    provider: input.provider,
    userId,
    organizationId: invitation.organizationId,
    publishesEvents: true,
  };
  try {
    return await issueSession(ctx, { ...account, outcome: "invited" }, [
      ...buildInvitationAcceptance(ctx, {
        invitation: selector,
        accepted: invitation,
        userId,
        passwordHash: null,
        firstName: cleanName(identity.givenName),
        lastName: cleanName(identity.familyName),
        now,
      }),
      buildOAuthAccountInsert(ctx.db, { ...input.link, userId }),
      buildAuditInsert(ctx, {
        action: "invitation_accepted",
        organizationId: invitation.organizationId,
        actorUserId: userId,
        target: invitation.id,
        ip: ctx.ip,
        details: { method: input.provider },
      }),
    ]);
  } catch (error) {
    // The invitation was used, revoked or its organization suspended since it was read: the user
    // row was not inserted, so the link's foreign key failed and the whole batch rolled back.
    if (String(error).includes("FOREIGN KEY constraint failed"))
      throw new OAuthFailure("not_invited", "invitation_gone");
    throw error;
  }
}

/**
 * Runs `statements` and the new session in one batch, so the account change and the sign-in
 * happen together or not at all. The token is new whatever cookie the browser brought (SEC-16).
 * An account with a second factor gets a pending login instead of the session, in the same batch.
 */
async function issueSession(
  ctx: ServiceContext,
  account: {
    provider: string;
    userId: string;
    organizationId: string;
    outcome: SignInOutcome;
    hasSecondFactor?: boolean;
    /** The statements include outbox events (an invitation accepted): publish them after the batch. */
    publishesEvents?: boolean;
  },
  statements: BatchItem<"sqlite">[],
): Promise<OAuthSignIn> {
  const started = account.hasSecondFactor ? await startPendingLogin(ctx, account) : await startSession(ctx, account);
  try {
    // Order matters: the account change, then the session (or pending login) that needs it.
    const batch: [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]] = [...started.statements];
    batch.unshift(...statements);
    await ctx.db.batch(batch);
  } catch (error) {
    // Two sign-ins raced to link or create the same account, and the other one won.
    if (isUniqueViolation(error)) throw new OAuthFailure("account_conflict", "concurrent_link", subjectOf(account));
    throw error;
  }
  if (account.publishesEvents) publishEventsLater(ctx);
  const base = { userId: account.userId, organizationId: account.organizationId, outcome: account.outcome };
  if (started.kind === "second_factor") return { ...base, kind: "second_factor", pending: started.pending };
  // A Google signup creates the organization; like a password login, this also retries a missing
  // Stripe customer. In the background: a sign-in never waits for Stripe.
  retryStripeCustomerIfMissing(ctx, account.organizationId);
  return { ...base, kind: "session", session: started.session };
}

type StartedSignIn = { statements: [BatchItem<"sqlite">, ...BatchItem<"sqlite">[]] } & (
  | { kind: "session"; session: IssuedSession }
  | { kind: "second_factor"; pending: IssuedPendingLogin }
);

async function startSession(
  ctx: ServiceContext,
  account: { provider: string; userId: string; organizationId: string; outcome: SignInOutcome },
): Promise<StartedSignIn> {
  const { issued, row } = await buildSession(account, ctx.config.session.ttlSeconds, {
    userAgent: ctx.userAgent,
    ip: ctx.ip,
  });
  return {
    kind: "session",
    session: issued,
    statements: [
      insertSession(ctx.db, row),
      buildAuditInsert(ctx, auditEvent(ctx, account, "oauth_login_succeeded", { outcome: account.outcome })),
    ],
  };
}

async function startPendingLogin(
  ctx: ServiceContext,
  account: { provider: string; userId: string; organizationId: string; outcome: SignInOutcome },
): Promise<StartedSignIn> {
  const { issued, insert } = await buildPendingLogin(ctx.db, { userId: account.userId, firstFactor: "google" });
  return {
    kind: "second_factor",
    pending: issued,
    statements: [
      insert,
      buildAuditInsert(
        ctx,
        auditEvent(ctx, account, "mfa_challenge_started", { first_factor: "google", outcome: account.outcome }),
      ),
    ],
  };
}

function auditEvent(
  ctx: ServiceContext,
  account: { provider: string; userId: string; organizationId: string },
  action: AuditEvent["action"],
  details: Record<string, unknown> = {},
): AuditEvent {
  return {
    action,
    organizationId: account.organizationId,
    actorUserId: account.userId,
    ip: ctx.ip,
    details: { provider: account.provider, ...details },
  };
}

function subjectOf(user: { id: string; organizationId: string | null } | { userId: string; organizationId: string }): {
  userId: string;
  organizationId: string;
} {
  return { userId: "id" in user ? user.id : user.userId, organizationId: user.organizationId ?? "" };
}

function cleanName(value: string | null): string | null {
  const trimmed = value?.trim().slice(0, NAME_MAX_LENGTH).trim();
  return trimmed ? trimmed : null;
}
