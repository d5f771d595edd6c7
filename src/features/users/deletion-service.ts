// Account deletion (API.md "Account lifecycle", SEC-79): after a fresh proof, the user's
// personal data is erased and the organizations they leave empty are deleted, in one batch.
import { isForeignKeyViolation } from "../../db/errors";
import { AppError } from "../../errors";
import type { AssignableRole } from "../../lib/roles";
import { type FreshProofClaim, requireFreshProof } from "../../platform/fresh-proof";
import { eventStatement, publishEventsLater } from "../../platform/outbox";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert } from "../audit/service";
import { cancelOrganizationSubscription } from "../billing/subscription-cancel-service";
import { buildOrganizationDeletion, buildUserErasure, listMembershipStates } from "./deletion-repo";
import { findUserById } from "./service";

export interface AccountDeletionRequest {
  userId: string;
  authenticatedAt: number;
  proof: FreshProofClaim;
}

interface DeletionPlan {
  /** Organizations whose only member is the user: deleted with their data. */
  emptied: string[];
  /** Organizations that go on without the user, and the role the user had in each. */
  left: { organizationId: string; role: AssignableRole }[];
}

/**
 * The order matters: every refusal (proof, last admin) comes before anything happens; the Stripe
 * subscriptions of the organizations to delete are cancelled before the batch, so a Stripe
 * failure (502) leaves everything in place and the request can simply be repeated (the cancel is
 * idempotent). The batch then deletes those organizations and erases the user; if someone
 * joined one of them meanwhile it fails as a whole (409) and nothing is deleted.
 */
export async function deleteAccount(ctx: ServiceContext, input: AccountDeletionRequest): Promise<void> {
  const user = await findUserById(ctx, input.userId);
  if (!user) throw new AppError("UNAUTHENTICATED", "Sign in to continue.");
  await requireFreshProof(
    ctx,
    { userId: user.id, passwordHash: user.passwordHash, authenticatedAt: input.authenticatedAt },
    input.proof,
  );
  const plan = await planAccountDeletion(ctx, user.id);
  for (const organizationId of plan.emptied) await cancelOrganizationSubscription(ctx, organizationId);

  const organizationStatements = plan.emptied.flatMap((organizationId) => [
    ...buildOrganizationDeletion(ctx.db, organizationId),
    buildAuditInsert(ctx, { action: "organization_deleted", organizationId, actorUserId: user.id, ip: null }),
  ]);
  // Each organization that goes on learns that a member went (docs/webhooks.md). In the same batch
  // as the erasure, so an event exists only if the account was deleted.
  const departureEvents = plan.left.map(({ organizationId, role }) =>
    eventStatement(ctx.db, {
      organizationId,
      type: "member.removed",
      data: { user_id: user.id, role, reason: "account_deleted" },
    }),
  );
  try {
    await ctx.db.batch([
      ...buildUserErasure(ctx.db, user.id),
      ...organizationStatements,
      ...departureEvents,
      // After the erasure: this row, too, keeps only ids.
      buildAuditInsert(ctx, { action: "account_deleted", organizationId: null, actorUserId: user.id, ip: null }),
    ]);
  } catch (error) {
    if (isForeignKeyViolation(error)) {
      throw new AppError("CONFLICT", "An organization you are leaving changed meanwhile. Try again.");
    }
    throw error;
  }
  if (departureEvents.length > 0) publishEventsLater(ctx);
}

/**
 * 409 while the user is the last org_admin of an organization that has other members: they must
 * promote someone or remove the members first, or the organization would be left unmanaged.
 */
async function planAccountDeletion(ctx: ServiceContext, userId: string): Promise<DeletionPlan> {
  const memberships = await listMembershipStates(ctx.db, userId);
  const blocking = memberships.find(
    (m) => m.role === "org_admin" && Number(m.otherMembers) > 0 && Number(m.otherAdmins) === 0,
  );
  if (blocking) {
    throw new AppError(
      "CONFLICT",
      "You are the last org_admin of an organization with other members. Make another member org_admin first.",
      { organization_id: blocking.organizationId },
    );
  }
  return {
    emptied: memberships.filter((m) => Number(m.otherMembers) === 0).map((m) => m.organizationId),
    left: memberships
      .filter((m) => Number(m.otherMembers) > 0)
      .map((m) => ({ organizationId: m.organizationId, role: m.role })),
  };
}
