// Signup (B2C): one account and its organization, without revealing whether the address was taken
// (SEC-7, SEC-57). Knows nothing about HTTP.
import { hashPassword } from "../../lib/password";
import { RECIPIENT_LIMITS, consumeRecipientLimit } from "../../platform/rate-limit";
import { rejectBreachedPassword } from "../../platform/breached-passwords";
import { alreadyRegisteredEmail, verificationEmail } from "../../email/templates";
import type { ServiceContext } from "../../platform/service-context";
import { buildAuditInsert } from "../audit/service";
import { onOrganizationCreated } from "../billing/customer-service";
import { prepareEmailToken } from "./email-token-service";
import { isUniqueViolation } from "../../db/errors";
import { buildOrganizationInsert, buildUserInsert, findUserByEmail } from "../users/service";
import { buildMembershipInsert } from "../orgs/memberships-service";

export interface SignupInput {
  email: string;
  password: string;
  firstName: string | null;
  lastName: string | null;
  /** A named organization (signup-org); otherwise a personal one is named after the user. */
  organizationName: string | null;
}

/**
 * Signup answers after exactly one Argon2id hash, whether the address is free or taken, and does
 * everything else after the response (SEC-7, SEC-57): the lookup, then either the organization,
 * its first org_admin and a verification token in one batch plus the verification email, or a
 * "you already have an account" email to the owner. Creating the account takes a D1 write that
 * the taken path does not, so doing it before answering would let the response time tell the two
 * apart. The cost: a database failure while creating is logged, not answered with a 500; the
 * person sees no email and signs up again.
 */
export async function signUp(ctx: ServiceContext, input: SignupInput): Promise<void> {
  // Before the hash, and independent of the address: it tells nothing about accounts (SEC-71).
  await rejectBreachedPassword(ctx, input.password, "password");
  const passwordHash = await hashPassword(input.password, ctx.config.argon2, {
    maxConcurrent: ctx.config.argon2.maxConcurrent,
  });
  ctx.defer(() => createAccountOrNotifyOwner(ctx, input, passwordHash));
}

async function createAccountOrNotifyOwner(
  ctx: ServiceContext,
  input: SignupInput,
  passwordHash: string,
): Promise<void> {
  const existing = await findUserByEmail(ctx, input.email);
  if (existing) {
    await sendAlreadyRegistered(ctx, input.email);
    return;
  }

  const now = Date.now();
  const organizationId = crypto.randomUUID();
  const userId = crypto.randomUUID();
  const verification = await prepareEmailToken(ctx, userId, "verify_email", now);
  try {
    await ctx.db.batch([
      buildOrganizationInsert(ctx, {
        id: organizationId,
        name: input.organizationName ?? personalOrganizationName(input),
        createdAt: now,
      }),
      buildUserInsert(ctx, {
        id: userId,
        email: input.email,
        passwordHash,
        firstName: input.firstName,
        lastName: input.lastName,
        emailVerifiedAt: null,
        createdAt: now,
        updatedAt: now,
      }),
      buildMembershipInsert(ctx, { userId, organizationId, role: "org_admin", now }),
      ...verification.statements,
      buildAuditInsert(ctx, {
        action: "signup",
        organizationId,
        actorUserId: userId,
        ip: ctx.ip,
      }),
    ]);
  } catch (error) {
    // Two signups for one address raced and the other won the UNIQUE(email): the address is taken.
    if (isUniqueViolation(error)) {
      await sendAlreadyRegistered(ctx, input.email);
      return;
    }
    throw error;
  }
  onOrganizationCreated(ctx, organizationId);
  await ctx.email.send(verificationEmail(input.email, ctx.config.webBaseURL, verification.token));
}

/**
 * Signups for a taken address come from anyone, from any IP: the owner gets a bounded number of
 * these emails (SEC-56), so the route cannot be used to flood a mailbox.
 */
async function sendAlreadyRegistered(ctx: ServiceContext, email: string): Promise<void> {
  if (!(await consumeRecipientLimit(ctx.env, RECIPIENT_LIMITS.alreadyRegistered, email))) return;
  await ctx.email.send(alreadyRegisteredEmail(email, ctx.config.webBaseURL));
}

function personalOrganizationName(input: SignupInput): string {
  const name = [input.firstName, input.lastName].filter(Boolean).join(" ");
  return name ? `${name}'s organization` : `${input.email}'s organization`;
}
