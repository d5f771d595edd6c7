// Credit packs on sale: which configuration is in effect (setting, var or default).
import { requireSubsystemConfig } from "../../config";
import { AppError } from "../../errors";
import type { ServiceContext } from "../../platform/service-context";
import type { Actor } from "../../platform/actor";
import { getSetting } from "../settings/service";
import { type CreditPack, DEFAULT_CREDIT_PACKS } from "../../config/credit-packs";
import { findOrganizationCustomer } from "./customer-repo";
import { requireStripeClient } from "./stripe-client";

/**
 * The packs on sale, most specific first: the system setting `credit_packs` when a sys_admin has
 * stored one, else the deployment's CREDIT_PACKS_JSON, else DEFAULT_CREDIT_PACKS. An invalid
 * CREDIT_PACKS_JSON is a billing problem (src/config/billing.ts): 503 MISCONFIGURED naming it on
 * the billing routes, never a silent default.
 */
async function listCreditPacks(ctx: ServiceContext, actor: Actor): Promise<CreditPack[]> {
  const stored = await getSetting(
    ctx,
    { id: actor.userId, organizationId: actor.organizationId },
    { scope: "system", key: "credit_packs" },
  );
  if (stored.updatedAt !== null) return stored.value as CreditPack[];
  return requireSubsystemConfig(ctx.config, "billing").creditPacks ?? DEFAULT_CREDIT_PACKS;
}

export async function findCreditPack(ctx: ServiceContext, actor: Actor, packId: string): Promise<CreditPack> {
  const pack = (await listCreditPacks(ctx, actor)).find((candidate) => candidate.id === packId);
  if (!pack) throw new AppError("NOT_FOUND", "No such credit pack.");
  return pack;
}

export interface CreditPackOffer {
  packs: CreditPack[];
  creditBalanceTokens: number;
}

/** GET /billing/credit-packs: what the caller's organization can buy, and its credit balance. */
export async function listCreditPackOffer(ctx: ServiceContext, actor: Actor): Promise<CreditPackOffer> {
  await requireStripeClient(ctx.config); // 503 MISCONFIGURED without Stripe: packs that cannot be bought are not offered.
  const packs = await listCreditPacks(ctx, actor);
  const organization = await findOrganizationCustomer(ctx.db, actor.organizationId);
  return { packs, creditBalanceTokens: organization?.creditBalanceTokens ?? 0 };
}
