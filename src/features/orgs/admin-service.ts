// sys_admin rules: create organizations (with an invitation to their admin), suspend and activate
// organizations and users. Suspension keeps data and revokes sessions in the same batch (SEC-25).
import { AppError } from "../../errors";
import type { PageRequest } from "../../lib/pagination";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert, buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { buildOrganizationInsert } from "../users/service";
import type { Actor } from "../../platform/actor";
import { onOrganizationCreated } from "../billing/customer-service";
import { prepareInvitation, sendInvitationEmail } from "./invitations-service";
import { buildInvitationInsert, type NewInvitationRow } from "./invitations-repo";
import { consumeInvitationRecipientLimit } from "./invitation-limits";
import { buildInviterAuthorityRevocation } from "./inviter-authority";
import {
  buildOrganizationSessionsDeletion,
  buildOrganizationSuspension,
  buildUserSessionsDeletion,
  buildUserSuspension,
  findOrganizationForAdmin,
  findUserForAdmin,
  listOrganizationsPage,
  listUsersPage,
} from "./admin-repo";

export function listOrganizations(ctx: ServiceContext, page: PageRequest) {
  return listOrganizationsPage(ctx.db, page);
}

export function listUsers(ctx: ServiceContext, page: PageRequest) {
  return listUsersPage(ctx.db, page);
}

/**
 * The organization and the invitation of its first org_admin in one batch. Its plan is the
 * default plan until a subscription says otherwise: plans resolve at read time, so creating an
 * organization writes no plan row.
 */
export async function createOrganization(
  ctx: ServiceContext,
  actor: Actor,
  input: { name: string; adminEmail: string; adminFullName?: string },
): Promise<{ organizationId: string; invitation: NewInvitationRow }> {
  // An address that already has an account is invited like any other: that account joins the new
  // organization when it accepts while signed in (docs/organizations.md).
  await consumeInvitationRecipientLimit(ctx, input.adminEmail);
  const now = Date.now();
  const organizationId = crypto.randomUUID();
  const invitation = await prepareInvitation(
    { organizationId, email: input.adminEmail, role: "org_admin", invitedByUserId: actor.userId },
    now,
  );
  await ctx.db.batch([
    buildOrganizationInsert(ctx, { id: organizationId, name: input.name, createdAt: now }),
    buildInvitationInsert(ctx.db, invitation.row),
    buildAuditInsert(ctx, {
      action: "organization_created",
      organizationId,
      actorUserId: actor.userId,
      target: organizationId,
      ip: ctx.ip,
    }),
  ]);
  onOrganizationCreated(ctx, organizationId);
  sendInvitationEmail(ctx, invitation, {
    organizationName: input.name,
    ...(input.adminFullName ? { recipientName: input.adminFullName } : {}),
  });
  return { organizationId, invitation: invitation.row };
}

export async function findOrganizationOrThrow(ctx: ServiceContext, organizationId: string) {
  const organization = await findOrganizationForAdmin(ctx.db, organizationId);
  if (!organization) throw new AppError("NOT_FOUND", "No such organization.");
  return organization;
}

export async function setOrganizationSuspended(
  ctx: ServiceContext,
  actor: Actor,
  input: { organizationId: string; suspended: boolean },
): Promise<void> {
  if (input.suspended && input.organizationId === actor.organizationId) {
    throw new AppError("CONFLICT", "You cannot suspend your own organization.");
  }
  await findOrganizationOrThrow(ctx, input.organizationId);
  const event: AuditEvent = {
    action: input.suspended ? "organization_suspended" : "organization_activated",
    organizationId: input.organizationId,
    actorUserId: actor.userId,
    target: input.organizationId,
    ip: ctx.ip,
  };
  const statements = [
    buildOrganizationSuspension(ctx.db, input.organizationId, input.suspended ? Date.now() : null),
    buildAuditInsertIfChanged(ctx, event),
  ] as const;
  const [changed] = input.suspended
    ? await ctx.db.batch([...statements, buildOrganizationSessionsDeletion(ctx.db, input.organizationId)])
    : await ctx.db.batch(statements);
  // Suspending a suspended organization (or activating an active one) is a no-op, not an error.
  if (changed.length > 0) logAuditEvent(event);
}

export async function setUserSuspended(
  ctx: ServiceContext,
  actor: Actor,
  input: { userId: string; suspended: boolean },
): Promise<void> {
  if (input.suspended && input.userId === actor.userId) {
    throw new AppError("CONFLICT", "You cannot suspend yourself.");
  }
  const user = await findUserForAdmin(ctx.db, input.userId);
  if (!user) throw new AppError("NOT_FOUND", "No such user.");
  const event: AuditEvent = {
    action: input.suspended ? "user_suspended" : "user_activated",
    organizationId: user.organizationId,
    actorUserId: actor.userId,
    target: user.id,
    ip: ctx.ip,
  };
  const statements = [
    buildUserSuspension(ctx.db, user.id, input.suspended ? Date.now() : null),
    buildAuditInsertIfChanged(ctx, event),
  ] as const;
  if (!input.suspended) {
    const [changed] = await ctx.db.batch(statements);
    if (changed.length > 0) logAuditEvent(event);
    return;
  }
  // Suspended: their sessions end and every invitation they sent is revoked, in one batch (SEC-25, SEC-62).
  const revocation = buildInviterAuthorityRevocation(ctx, {
    inviterUserId: user.id,
    organizationId: user.organizationId,
    actorUserId: actor.userId,
    change: "inviter_suspended",
  });
  const [changed, , , revoked] = await ctx.db.batch([
    ...statements,
    buildUserSessionsDeletion(ctx.db, user.id),
    ...revocation.statements,
  ]);
  if (changed.length > 0) logAuditEvent(event);
  revocation.logRevoked(revoked);
}
