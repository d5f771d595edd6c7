// Credit packs on sale: which configuration is in effect (setting, var or default).
import { AppError } from "../../errors";
import { logEvent } from "../../lib/log";
import type { ServiceContext } from "../../platform/service-context";
import type { Actor } from "../../platform/actor";
import { getSetting } from "../settings/service";
import { CreditPackListSchema, DEFAULT_CREDIT_PACKS, type CreditPack } from "./credit-pack-schema";
import { findOrganizationCustomer } from "./customer-repo";
import { requireStripeClient } from "./stripe-client";

const parsedVars = new Map<string, CreditPack[] | null>();

/** CREDIT_PACKS_JSON parsed once per value per isolate; null when it is not a valid pack list. */
function parseCreditPacksVar(json: string): CreditPack[] | null {
  if (!parsedVars.has(json)) {
    let value: unknown;
    try {
      value = JSON.parse(json);
    } catch {
      value = undefined;
    }
    const result = CreditPackListSchema.safeParse(value);
    if (!result.success) logEvent("error", "credit_packs_var_invalid", { setting: "CREDIT_PACKS_JSON" });
    parsedVars.set(json, result.success ? result.data : null);
  }
  return parsedVars.get(json)!;
}

/**
 * The packs on sale, most specific first: the system setting `credit_packs` when a sys_admin has
 * stored one, else the deployment's CREDIT_PACKS_JSON, else DEFAULT_CREDIT_PACKS. An invalid
 * CREDIT_PACKS_JSON is 503 MISCONFIGURED (naming it) on the billing routes, never a silent default.
 */
async function listCreditPacks(ctx: ServiceContext, actor: Actor): Promise<CreditPack[]> {
  const stored = await getSetting(
    ctx,
    { id: actor.userId, organizationId: actor.organizationId },
    { scope: "system", key: "credit_packs" },
  );
  if (stored.updatedAt !== null) return stored.value as CreditPack[];
  const json = ctx.config.billing.creditPacksJSON;
  if (json === null) return DEFAULT_CREDIT_PACKS;
  const packs = parseCreditPacksVar(json);
  if (!packs) {
    throw new AppError(
      503,
      "MISCONFIGURED",
      "Billing is not configured correctly: CREDIT_PACKS_JSON is not a valid pack list.",
      {
        settings: ["CREDIT_PACKS_JSON"],
      },
    );
  }
  return packs;
}

export async function findCreditPack(ctx: ServiceContext, actor: Actor, packId: string): Promise<CreditPack> {
  const pack = (await listCreditPacks(ctx, actor)).find((candidate) => candidate.id === packId);
  if (!pack) throw new AppError(404, "NOT_FOUND", "No such credit pack.");
  return pack;
}

export interface CreditPackOffer {
  packs: CreditPack[];
  creditBalanceTokens: number;
}

/** GET /billing/credit-packs: what the caller's organization can buy, and its credit balance. */
export async function listCreditPackOffer(ctx: ServiceContext, actor: Actor): Promise<CreditPackOffer> {
  requireStripeClient(ctx.config); // 503 MISCONFIGURED without Stripe: packs that cannot be bought are not offered.
  const packs = await listCreditPacks(ctx, actor);
  const organization = await findOrganizationCustomer(ctx.db, actor.organizationId);
  return { packs, creditBalanceTokens: organization?.creditBalanceTokens ?? 0 };
}
