// Member rules (SEC-34): list, change role, remove, always inside the caller's organization.
import { AppError } from "../../errors";
import { hasRoleAtLeast } from "../../lib/roles";
import type { Actor } from "../../platform/actor";
import { eventStatementIfChanged, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import {
  buildMembershipRemoval,
  buildRoleChange,
  buildSessionsInOrganizationDeletion,
  findMember,
  findOrganization,
  listActiveAdminEmails,
  listMembers,
} from "./members-repo";
import { buildInviterAuthorityRevocation } from "./inviter-authority";
import type { AssignableRole } from "./schemas";

const LAST_ADMIN_MESSAGE =
  "An organization needs at least one active org_admin (or the member changed meanwhile; reload and retry).";

async function requireManageableMember(ctx: ServiceContext, actor: Actor, userId: string) {
  const member = await findMember(ctx.db, actor.organizationId, userId);
  // Another organization's user is indistinguishable from a missing one (SEC-36).
  if (!member) throw new AppError("NOT_FOUND", "No such member in your organization.");
  if (!hasRoleAtLeast(actor.role, member.role)) {
    throw new AppError("FORBIDDEN", "You cannot manage a member whose role is above yours.");
  }
  return member;
}

/**
 * Nobody changes their own role, grants more than they hold, or leaves the organization
 * without an active org_admin. The change applies on the member's next request (SEC-24).
 */
export async function changeMemberRole(
  ctx: ServiceContext,
  actor: Actor,
  input: { userId: string; role: AssignableRole },
): Promise<void> {
  if (input.userId === actor.userId) throw new AppError("FORBIDDEN", "You cannot change your own role.");
  if (!hasRoleAtLeast(actor.role, input.role)) {
    throw new AppError("FORBIDDEN", "You cannot grant a role above your own.");
  }
  const member = await requireManageableMember(ctx, actor, input.userId);
  if (member.membershipRole === input.role) return;

  const event: AuditEvent = {
    action: "member_role_changed",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: member.id,
    ip: ctx.ip,
    details: { from: member.membershipRole, to: input.role },
  };
  // The invitations they sent above their new role are revoked in the same batch (SEC-62); a
  // promotion revokes none.
  const revocation = buildInviterAuthorityRevocation(ctx, {
    inviterUserId: member.id,
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    change: "inviter_demoted",
  });
  const [changed, , , revoked] = await ctx.db.batch([
    buildRoleChange(ctx.db, {
      organizationId: actor.organizationId,
      userId: member.id,
      expectedRole: member.membershipRole,
      newRole: input.role,
    }),
    buildAuditInsertIfChanged(ctx, event),
    // Only if the audit row went in, i.e. only if the role changed (docs/webhooks.md).
    eventStatementIfChanged(ctx.db, {
      organizationId: actor.organizationId,
      type: "member.role_changed",
      data: { user_id: member.id, from: member.membershipRole, to: input.role },
    }),
    ...revocation.statements,
  ]);
  if (changed.length === 0) throw new AppError("CONFLICT", LAST_ADMIN_MESSAGE);
  publishEventsLater(ctx);
  logAuditEvent(event);
  revocation.logRevoked(revoked);
}

/**
 * Removes the member from this organization: their membership goes, and their sessions acting in
 * it end (SEC-77); the account and its other memberships stay. Never yourself (leave instead),
 * never the last admin.
 */
export async function removeMember(ctx: ServiceContext, actor: Actor, userId: string): Promise<void> {
  if (userId === actor.userId) throw new AppError("CONFLICT", "You cannot remove yourself.");
  const member = await requireManageableMember(ctx, actor, userId);
  const event: AuditEvent = {
    action: "member_removed",
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    target: member.id,
    ip: ctx.ip,
    details: { role: member.membershipRole },
  };
  // Removed: every invitation they sent goes in the same batch (SEC-62).
  const revocation = buildInviterAuthorityRevocation(ctx, {
    inviterUserId: member.id,
    organizationId: actor.organizationId,
    actorUserId: actor.userId,
    change: "inviter_removed",
  });
  const [removed, , , , revoked] = await ctx.db.batch([
    buildMembershipRemoval(ctx.db, {
      organizationId: actor.organizationId,
      userId: member.id,
      expectedRole: member.membershipRole,
    }),
    buildAuditInsertIfChanged(ctx, event),
    // Only if the audit row went in, i.e. only if the member was removed (docs/webhooks.md).
    eventStatementIfChanged(ctx.db, {
      organizationId: actor.organizationId,
      type: "member.removed",
      data: { user_id: member.id, role: member.membershipRole, reason: "removed" },
    }),
    buildSessionsInOrganizationDeletion(ctx.db, { organizationId: actor.organizationId, userId: member.id }),
    ...revocation.statements,
  ]);
  if (removed.length === 0) throw new AppError("CONFLICT", LAST_ADMIN_MESSAGE);
  publishEventsLater(ctx);
  logAuditEvent(event);
  revocation.logRevoked(revoked);
}

/** The caller's organization with its member count. */
export async function getMyOrganization(ctx: ServiceContext, actor: Actor) {
  const organization = await findOrganization(ctx.db, actor.organizationId);
  if (!organization) throw new AppError("NOT_FOUND", "Organization not found.");
  return organization;
}

export function listMyOrganizationMembers(ctx: ServiceContext, actor: Actor) {
  return listMembers(ctx.db, actor.organizationId);
}

/**
 * The addresses organization notices go to (billing, disputes, usage alerts): its active
 * org_admins. The one place that says who they are, so notices follow how membership is stored.
 */
export async function listOrgAdminEmails(ctx: ServiceContext, organizationId: string): Promise<string[]> {
  const rows = await listActiveAdminEmails(ctx.db, organizationId);
  return rows.map((row) => row.email);
}
