// Invitation rules (SEC-26, SEC-27, SEC-34, SEC-38): create, list, revoke, accept.
import { AppError } from "../../errors";
import { generateToken, hashToken, isWellFormedToken } from "../../lib/crypto";
import { hashPassword } from "../../lib/password";
import { rejectBreachedPassword } from "../../platform/breached-passwords";
import { hasRoleAtLeast } from "../../lib/roles";
import { DAY_MS } from "../../lib/time";
import { invitationEmail } from "../../email/templates";
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, recordAuditEvent } from "../audit/service";
import { findUserByEmail, findUserById } from "../users/service";
import { toUserProfile, type UserProfile } from "../../platform/user-profile";
import { isUniqueViolation } from "../../db/errors";
import { INVALID_TOKEN_MESSAGE } from "../auth/service";
import { createSession, type IssuedSession } from "../../platform/sessions/service";
import type { Actor } from "../../platform/actor";
import type { AssignableRole } from "./schemas";
import {
  buildInvitationConsume,
  buildInvitationInsert,
  buildInvitationRevocation,
  buildMembershipInsertFromInvitation,
  buildPendingInvitationsRevocation,
  buildUserInsertFromInvitation,
  findPendingInvitationById as findPendingInvitationByIdRow,
  findPendingInvitationByToken,
  type AccountFromInvitation,
  type InvitationSelector,
  listPendingInvitations,
  type NewInvitationRow,
} from "./invitations-repo";
import { findOrganization } from "./members-repo";
import { buildActiveOrganizationSwitch } from "./memberships-repo";
import { consumeInvitationLimits } from "./invitation-limits";

const INVITATION_LIFETIME_MS = 7 * DAY_MS;

/** Told only to whoever holds the emailed link, i.e. the owner of the mailbox (SEC-57). */
const INVITEE_HAS_ACCOUNT_MESSAGE =
  "This email already has an account: sign in to it, then open the invitation link again to join.";

export interface PreparedInvitation {
  row: NewInvitationRow;
  token: string;
}

/** A new invitation row and its raw token (which goes into the email and nowhere else). */
export async function prepareInvitation(
  options: { organizationId: string; email: string; role: AssignableRole; invitedByUserId: string | null },
  now = Date.now(),
): Promise<PreparedInvitation> {
  const token = generateToken();
  return {
    token,
    row: {
      id: crypto.randomUUID(),
      organizationId: options.organizationId,
      email: options.email,
      role: options.role,
      tokenHash: await hashToken(token),
      invitedByUserId: options.invitedByUserId,
      createdAt: now,
      expiresAt: now + INVITATION_LIFETIME_MS,
    },
  };
}

export function sendInvitationEmail(
  ctx: ServiceContext,
  invitation: PreparedInvitation,
  options: { organizationName: string; recipientName?: string },
): void {
  ctx.defer(() =>
    ctx.email.send(invitationEmail(invitation.row.email, ctx.config.webBaseURL, invitation.token, options)),
  );
}

/**
 * Invites an email into the caller's organization with a role at most the caller's. A new
 * invitation to the same address revokes the earlier pending ones.
 *
 * Whether the address already has an account is deliberately not looked at (SEC-57): every B2C
 * user is the org_admin of their own organization, so any difference here (a 409, a missing
 * email, a skipped query) would tell anyone who signs up which addresses have accounts. Both
 * cases write the same rows and send the same email; an existing account is dealt with when the
 * invitation is accepted, by whoever holds the emailed link (see acceptInvitation).
 */
export async function createInvitation(
  ctx: ServiceContext,
  actor: Actor,
  input: { email: string; role: AssignableRole },
): Promise<NewInvitationRow> {
  if (!hasRoleAtLeast(actor.role, input.role)) {
    throw new AppError("FORBIDDEN", "You cannot invite with a role above your own.");
  }
  const organization = await findOrganization(ctx.db, actor.organizationId);
  if (!organization) throw new AppError("NOT_FOUND", "Organization not found.");
  await consumeInvitationLimits(ctx, { organizationId: actor.organizationId, normalizedEmail: input.email });

  const now = Date.now();
  const invitation = await prepareInvitation(
    { organizationId: actor.organizationId, email: input.email, role: input.role, invitedByUserId: actor.userId },
    now,
  );
  await ctx.db.batch([
    buildPendingInvitationsRevocation(ctx.db, actor.organizationId, input.email, now),
    buildInvitationInsert(ctx.db, invitation.row),
    buildAuditInsert(ctx, {
      action: "invitation_created",
      organizationId: actor.organizationId,
      actorUserId: actor.userId,
      target: invitation.row.id,
      ip: ctx.ip,
      details: { role: input.role },
    }),
  ]);
  sendInvitationEmail(ctx, invitation, { organizationName: organization.name });
  return invitation.row;
}

export function listInvitations(ctx: ServiceContext, actor: Actor) {
  return listPendingInvitations(ctx.db, actor.organizationId, Date.now());
}

export async function revokeInvitation(ctx: ServiceContext, actor: Actor, invitationId: string): Promise<void> {
  const event = {
    action: "invitation_revoked" as const,
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: invitationId,
    ip: ctx.ip,
  };
  const [revoked] = await ctx.db.batch([
    buildInvitationRevocation(ctx.db, actor.organizationId, invitationId, Date.now()),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (revoked.length === 0) throw new AppError("NOT_FOUND", "No such pending invitation.");
  logAuditEvent(event);
}

/**
 * The pending invitation an emailed link's token names. Unknown, used, revoked and expired tokens
 * all get the same 400 (SEC-38), as does anything that is not a token at all.
 */
export async function requirePendingInvitation(ctx: ServiceContext, token: string) {
  if (!isWellFormedToken(token)) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  const pending = await findPendingInvitationByToken(ctx.db, await hashToken(token), Date.now());
  if (!pending) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  return pending;
}

/** A pending invitation as requirePendingInvitation read it. */
type PendingInvitation = AcceptedInvitationRef & { tokenHash: string };

interface AcceptedInvitation {
  user: UserProfile;
  session: IssuedSession;
}

/** Who is signed in on the request that accepts, if anyone (POST /invitations/accept is public). */
export interface SignedInAcceptor {
  userId: string;
  sessionId: string;
}

export type AcceptedInvitationResult = ({ kind: "created" } & AcceptedInvitation) | { kind: "joined" };

/**
 * Accepts an invitation by its emailed token. Unknown, used, revoked and expired tokens all get
 * the same 400 (SEC-38).
 *
 * - No account has the invited email: the account is created in the inviting organization with
 *   the invited role and a verified email (the link proved the mailbox), the invitation consumed
 *   in the same batch, then a fresh session (SEC-16). A password is required.
 * - An account has it: the caller must be signed in as that account; the membership is added, the
 *   invitation consumed and the session switched to the organization, in one batch. Otherwise
 *   409: only the holder of the emailed link learns that the address has an account, and that is
 *   the mailbox's owner (SEC-57); nothing is written and the invitation stays pending.
 */
export async function acceptInvitation(
  ctx: ServiceContext,
  input: {
    token: string;
    password: string | undefined;
    firstName: string | null;
    lastName: string | null;
    signedIn: SignedInAcceptor | null;
  },
): Promise<AcceptedInvitationResult> {
  const pending = await requirePendingInvitation(ctx, input.token);
  const existing = await findUserByEmail(ctx, pending.email);
  if (existing) {
    if (input.signedIn?.userId !== existing.id) throw new AppError("CONFLICT", INVITEE_HAS_ACCOUNT_MESSAGE);
    await joinInvitedOrganization(ctx, { ...input.signedIn, pending });
    return { kind: "joined" };
  }
  if (input.password === undefined) {
    throw new AppError("VALIDATION_ERROR", "A password is required to create the invited account.", {
      fields: [{ field: "password", message: "is required" }],
    });
  }
  return { kind: "created", ...(await createInvitedAccount(ctx, pending, { ...input, password: input.password })) };
}

/** The signed-in invitee joins: membership, consumption, session switch and audit in one batch. */
async function joinInvitedOrganization(
  ctx: ServiceContext,
  input: { userId: string; sessionId: string; pending: PendingInvitation },
): Promise<void> {
  const now = Date.now();
  const { pending } = input;
  const results = await ctx.db.batch(
    buildInvitationAcceptanceByMember(ctx, {
      invitation: { tokenHash: pending.tokenHash },
      accepted: pending,
      userId: input.userId,
      now,
    }),
  );
  const accepted = results[ACCEPTANCE_BY_MEMBER_CONSUME_INDEX][0];
  // Used or revoked meanwhile, or the organization was suspended: nothing was written.
  if (!accepted) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  publishEventsLater(ctx);
  await ctx.db.batch([
    buildActiveOrganizationSwitch(ctx.db, {
      sessionId: input.sessionId,
      userId: input.userId,
      organizationId: accepted.organizationId,
    }),
    buildAuditInsert(ctx, {
      action: "invitation_accepted",
      organizationId: accepted.organizationId,
      actorUserId: input.userId,
      target: accepted.id,
      ip: ctx.ip,
      details: { existing_account: true },
    }),
  ]);
}

async function createInvitedAccount(
  ctx: ServiceContext,
  pending: PendingInvitation,
  input: { password: string; firstName: string | null; lastName: string | null },
): Promise<AcceptedInvitation> {
  const { tokenHash } = pending;
  await rejectBreachedPassword(ctx, input.password, "password");
  const passwordHash = await hashPassword(input.password, ctx.config.argon2, ctx.config.argon2);
  const now = Date.now();
  const userId = crypto.randomUUID();
  let consumed: { id: string; organizationId: string }[];
  try {
    const results = await ctx.db.batch(
      buildInvitationAcceptance(ctx, {
        invitation: { tokenHash },
        accepted: pending,
        userId,
        passwordHash,
        firstName: input.firstName,
        lastName: input.lastName,
        now,
      }),
    );
    consumed = results[ACCEPTANCE_CONSUME_INDEX];
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", INVITEE_HAS_ACCOUNT_MESSAGE);
    throw error;
  }
  const invitation = consumed[0];
  // Used meanwhile, revoked meanwhile, or the organization was suspended: nothing was written.
  if (!invitation) throw new AppError("INVALID_TOKEN", INVALID_TOKEN_MESSAGE);
  publishEventsLater(ctx);

  await recordAuditEvent(ctx, {
    action: "invitation_accepted",
    organizationId: invitation.organizationId,
    actorUserId: userId,
    target: invitation.id,
    ip: ctx.ip,
  });
  const session = await createSession(
    ctx.db,
    { userId, organizationId: invitation.organizationId },
    ctx.config.session.ttlSeconds,
    { userAgent: ctx.userAgent, ip: ctx.ip },
  );
  const user = await findUserById(ctx, userId);
  if (!user) throw new AppError("NOT_FOUND", "Account not found.");
  return {
    user: toUserProfile({
      ...user,
      membershipRole: pending.role,
      organizationId: invitation.organizationId,
      organizationsCount: 1,
    }),
    session,
  };
}

/** A pending invitation by id, with its organization's state (Google sign-in in B2B mode, SEC-62). */
export function findPendingInvitationById(ctx: ServiceContext, invitationId: string, now: number) {
  return findPendingInvitationByIdRow(ctx.db, invitationId, now);
}

/**
 * The invitation being accepted, as read before the batch: its organization and role are the
 * invitation row's own (immutable), so the webhook events agree with what the batch writes.
 */
export interface AcceptedInvitationRef {
  id: string;
  organizationId: string;
  role: AssignableRole;
}

/**
 * The outbox events of an acceptance (docs/webhooks.md), each stored only if the statement just
 * before it changed a row (SQLite's changes()): member.added after the membership insert (which
 * does nothing for a refused acceptance, or for someone already a member), invitation.accepted
 * after the consuming compare-and-set. A refused or repeated acceptance stores none.
 */
function buildAcceptanceEvents(ctx: ServiceContext, accepted: AcceptedInvitationRef, userId: string) {
  return {
    memberAdded: eventStatementIfChanged(ctx.db, {
      organizationId: accepted.organizationId,
      type: "member.added",
      data: { user_id: userId, role: accepted.role },
    }),
    invitationAccepted: eventStatementIfChanged(ctx.db, {
      organizationId: accepted.organizationId,
      type: "invitation.accepted",
      data: { invitation_id: accepted.id, user_id: userId, role: accepted.role },
    }),
  };
}

/**
 * The statements that accept an invitation for a new account: the user, created from the
 * invitation's own email, its membership with the invitation's organization and role, then the
 * compare-and-set that uses the invitation up (only once that membership exists), each change
 * followed by its webhook event. They go, in this order, in the caller's batch; the caller calls
 * publishEventsLater() after it. The consume's result is at index ACCEPTANCE_CONSUME_INDEX.
 */
export function buildInvitationAcceptance(
  ctx: ServiceContext,
  options: AccountFromInvitation & { accepted: AcceptedInvitationRef },
) {
  const { invitation, userId, now } = options;
  const events = buildAcceptanceEvents(ctx, options.accepted, userId);
  return [
    buildUserInsertFromInvitation(ctx.db, options),
    buildMembershipInsertFromInvitation(ctx.db, { invitation, userId, now }),
    events.memberAdded,
    buildInvitationConsume(ctx.db, { invitation, userId, now }),
    events.invitationAccepted,
  ] as const;
}

/** Where buildInvitationAcceptance's consuming compare-and-set is in the batch. */
const ACCEPTANCE_CONSUME_INDEX = 3;

/**
 * The statements that accept an invitation for an account that already exists (signed in as the
 * invited email, or Google sign-in of it): the membership from the invitation's organization and
 * role, then the compare-and-set that uses the invitation up (only once that membership exists),
 * each followed by its webhook event; the caller calls publishEventsLater() after its batch.
 */
export function buildInvitationAcceptanceByMember(
  ctx: ServiceContext,
  options: { invitation: InvitationSelector; accepted: AcceptedInvitationRef; userId: string; now: number },
) {
  const { invitation, userId, now } = options;
  const events = buildAcceptanceEvents(ctx, options.accepted, userId);
  return [
    buildMembershipInsertFromInvitation(ctx.db, { invitation, userId, now }),
    events.memberAdded,
    buildInvitationConsume(ctx.db, { invitation, userId, now }),
    events.invitationAccepted,
  ] as const;
}

/** Where buildInvitationAcceptanceByMember's consuming compare-and-set is in the batch. */
const ACCEPTANCE_BY_MEMBER_CONSUME_INDEX = 2;
