// A user's organizations (docs/organizations.md): list, create (B2C), switch the session's
// active one, leave. Also the one way other features reach membership rows.
import { AppError } from "../../errors";
import type { AssignableRole } from "../../lib/roles";
import type { Actor } from "../../platform/actor";
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { onOrganizationCreated } from "../billing/customer-service";
import { buildOrganizationInsert } from "../users/service";
import { buildInviterAuthorityRevocation } from "./inviter-authority";
import { buildMembershipRemoval, buildSessionsInOrganizationDeletion, findMember } from "./members-repo";
import * as repo from "./memberships-repo";

/** The caller's session: which one, and as whom. */
export interface SessionActor extends Actor {
  sessionId: string;
}

export interface MembershipSummary {
  organizationId: string;
  name: string;
  role: AssignableRole;
  suspended: boolean;
  active: boolean;
}

/**
 * Every organization the user belongs to, most recently active first.
 * @public for account deletion and export (account lifecycle), which build on memberships.
 */
export function listMemberships(ctx: ServiceContext, userId: string) {
  return repo.listMemberships(ctx.db, userId);
}

/**
 * How many members an organization has besides `userId`.
 * @public for account deletion: an organization left without members is deleted with its data.
 */
export function countOtherMembers(ctx: ServiceContext, organizationId: string, userId: string): Promise<number> {
  return repo.countOtherMembers(ctx.db, organizationId, userId);
}

// build* return unexecuted statements for the caller's own batch (D1 has no interactive transactions).

export function buildMembershipInsert(ctx: ServiceContext, row: repo.NewMembershipRow) {
  return repo.buildMembershipInsert(ctx.db, row);
}

/** Sign-in and switching record the organization as the user's most recent one. */
export function buildMembershipTouch(ctx: ServiceContext, userId: string, organizationId: string, now: number) {
  return repo.buildMembershipTouch(ctx.db, { userId, organizationId, now });
}

export async function listMyOrganizations(ctx: ServiceContext, actor: Actor): Promise<MembershipSummary[]> {
  const rows = await listMemberships(ctx, actor.userId);
  return rows.map((row) => ({
    organizationId: row.organizationId,
    name: row.name,
    role: row.role,
    suspended: row.suspendedAt !== null,
    active: row.organizationId === actor.organizationId,
  }));
}

/**
 * B2C: a new organization with the caller as its org_admin, made the session's active one, in
 * one batch. The organization's billing customer is created after the response, as at signup.
 * No member.added webhook event: the organization is new, so no endpoint can be registered for
 * it yet (docs/webhooks.md).
 */
export async function createMyOrganization(ctx: ServiceContext, actor: SessionActor, name: string): Promise<string> {
  const now = Date.now();
  const organizationId = crypto.randomUUID();
  await ctx.db.batch([
    buildOrganizationInsert(ctx, { id: organizationId, name, createdAt: now }),
    repo.buildMembershipInsert(ctx.db, { userId: actor.userId, organizationId, role: "org_admin", now }),
    repo.buildActiveOrganizationSwitch(ctx.db, { sessionId: actor.sessionId, userId: actor.userId, organizationId }),
    buildAuditInsert(ctx, {
      action: "organization_created",
      organizationId,
      actorUserId: actor.userId,
      target: organizationId,
      ip: ctx.ip,
    }),
  ]);
  onOrganizationCreated(ctx, organizationId);
  return organizationId;
}

/**
 * Makes another of the caller's organizations the session's active one. Unknown, foreign and
 * suspended organizations are the same 404: the answer never tells whether an id exists (SEC-77).
 */
export async function switchOrganization(ctx: ServiceContext, actor: SessionActor, organizationId: string) {
  const now = Date.now();
  const [switched] = await ctx.db.batch([
    repo.buildActiveOrganizationSwitch(ctx.db, { sessionId: actor.sessionId, userId: actor.userId, organizationId }),
    repo.buildMembershipTouch(ctx.db, {
      userId: actor.userId,
      organizationId,
      now,
      onlyIfActiveIn: actor.sessionId,
    }),
  ]);
  if (switched.length === 0) throw new AppError("NOT_FOUND", "No such organization among yours.");
}

export type LeaveOutcome = { sessionEnded: false; organizationId: string } | { sessionEnded: true };

/**
 * Leaves the session's active organization: never its last active org_admin (409). This session
 * moves to the caller's most recent other organization, or ends when none is left; their other
 * sessions acting in the organization end (buildSessionsInOrganizationDeletion). One batch.
 */
export async function leaveOrganization(ctx: ServiceContext, actor: SessionActor): Promise<LeaveOutcome> {
  const membership = await findMember(ctx.db, actor.organizationId, actor.userId);
  if (!membership) throw new AppError("NOT_FOUND", "You are not a member of this organization.");
  const event: AuditEvent = {
    action: "member_left",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: actor.userId,
    ip: ctx.ip,
    details: { role: membership.membershipRole },
  };
  const revocation = buildInviterAuthorityRevocation(ctx, {
    inviterUserId: actor.userId,
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    change: "inviter_removed",
  });
  const [removed, , , moved, , revoked] = await ctx.db.batch([
    buildMembershipRemoval(ctx.db, {
      organizationId: actor.organizationId,
      userId: actor.userId,
      expectedRole: membership.membershipRole,
    }),
    buildAuditInsertIfChanged(ctx, event),
    // The organization's systems learn of a departure as of a removal (docs/webhooks.md), and only
    // if the membership went, as the audit row.
    eventStatementIfChanged(ctx.db, {
      organizationId: actor.organizationId,
      type: "member.removed",
      data: { user_id: actor.userId, role: membership.membershipRole, reason: "left" },
    }),
    repo.buildSessionMoveToLatestMembership(ctx.db, {
      sessionId: actor.sessionId,
      userId: actor.userId,
      leftOrganizationId: actor.organizationId,
    }),
    buildSessionsInOrganizationDeletion(ctx.db, { organizationId: actor.organizationId, userId: actor.userId }),
    ...revocation.statements,
  ]);
  if (removed.length === 0) {
    throw new AppError(
      "CONFLICT",
      "An organization needs at least one active org_admin: appoint another before leaving.",
    );
  }
  publishEventsLater(ctx);
  logAuditEvent(event);
  revocation.logRevoked(revoked);
  const next = moved[0]?.organizationId;
  if (next) return { sessionEnded: false, organizationId: next };
  // No organization left: this session was deleted with the others acting in the one left.
  return { sessionEnded: true };
}
