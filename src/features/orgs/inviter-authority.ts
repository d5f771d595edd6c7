// SEC-62: a pending invitation never outlives its inviter's authority. Removing, demoting or
// suspending someone revokes, in the same batch, the invitations they sent that they could no
// longer send. Chosen over re-checking the inviter when the invitation is accepted: revoked rows
// are what GET /invitations, the audit log and the accept link all already understand, while a
// re-check would leave invitations listed as pending that can never be accepted, and every
// accept path (link, Google) would need the check.
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsertIfChanged, logAuditEvent, type AuditEvent } from "../audit/service";
import { buildInvitationsBeyondInviterRevocation } from "./invitations-repo";

export type AuthorityChange = "inviter_removed" | "inviter_demoted" | "inviter_suspended";

/**
 * The two statements to append to the batch that changes the inviter (after the change), and
 * the function to call with that batch's result for the revocation's row: it logs the event when
 * something was revoked (its audit row is written by the batch, only in that case).
 */
export function buildInviterAuthorityRevocation(
  ctx: ServiceContext,
  input: { inviterUserId: string; organizationId: string | null; actorUserId: string; change: AuthorityChange },
) {
  const event: AuditEvent = {
    action: "invitation_revoked",
    organizationId: input.organizationId,
    actorUserId: input.actorUserId,
    target: null,
    ip: ctx.ip,
    details: { reason: input.change, inviter_user_id: input.inviterUserId },
  };
  const statements = [
    buildInvitationsBeyondInviterRevocation(ctx.db, input.inviterUserId, Date.now()),
    buildAuditInsertIfChanged(ctx, event),
  ] as const;
  return {
    statements,
    logRevoked(revoked: { id: string }[]): void {
      if (revoked.length === 0) return;
      logAuditEvent({ ...event, details: { ...event.details, invitation_ids: revoked.map((row) => row.id) } });
    },
  };
}
