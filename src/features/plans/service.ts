// Plan rules: the catalogue, sys_admin CRUD, and which plan and period an organization is on.
import { AppError } from "../../errors";
import type { Database } from "../../db/client";
import { isUniqueViolation } from "../auth/service";
import { defaultFeatures, resolveFeatures, type PlanFeatures } from "./features";
import { currentBillingPeriod, type BillingPeriod } from "./period";
import {
  buildDefaultPlanSwitch,
  deleteUnusedPlanRow,
  findOrganizationBilling,
  findPlanRow,
  insertPlanRow,
  listPlanRows,
  updatePlanRow,
  type PlanRow,
} from "./repo";

export interface ResolvedPlan {
  row: PlanRow;
  features: PlanFeatures;
  warnings: string[];
}

function resolvePlan(row: PlanRow): ResolvedPlan {
  const { features, warnings } = resolveFeatures(row.features, { planId: row.id });
  return { row, features, warnings };
}

export async function listPlans(db: Database): Promise<ResolvedPlan[]> {
  return (await listPlanRows(db)).map(resolvePlan);
}

export interface OrganizationPlan {
  /** The Stripe-driven plan, else the default plan, else none (declared defaults apply). */
  plan: ResolvedPlan | null;
  features: PlanFeatures;
  period: BillingPeriod;
  subscription: { id: string; status: string | null } | null;
}

export async function resolveOrganizationPlan(
  db: Database,
  organizationId: string,
  now = Date.now(),
): Promise<OrganizationPlan> {
  const billing = await findOrganizationBilling(db, organizationId);
  if (!billing) throw new AppError("NOT_FOUND", "Organization not found.");
  const row = billing.subscribedPlan ?? billing.defaultPlan;
  const plan = row ? resolvePlan(row) : null;
  return {
    plan,
    features: plan?.features ?? defaultFeatures(),
    period: currentBillingPeriod({ periodStart: billing.currentPeriodStart, periodEnd: billing.currentPeriodEnd }, now),
    subscription: billing.stripeSubscriptionId
      ? { id: billing.stripeSubscriptionId, status: billing.subscriptionStatus }
      : null,
  };
}

export interface PlanInput {
  name: string;
  stripeProductId: string | null;
  /** Validated against the declaration; omitted features take their defaults. */
  features: Partial<PlanFeatures>;
}

function storedFeatures(input: Partial<PlanFeatures>): string {
  return JSON.stringify({ ...defaultFeatures(), ...input });
}

const PRODUCT_TAKEN = "Another plan already uses this Stripe product id.";

export async function createPlan(db: Database, input: PlanInput): Promise<ResolvedPlan> {
  const now = Date.now();
  try {
    const row = await insertPlanRow(db, {
      id: `plan_${crypto.randomUUID()}`,
      name: input.name,
      stripeProductId: input.stripeProductId,
      isDefault: false,
      features: storedFeatures(input.features),
      createdAt: now,
      updatedAt: now,
    });
    return resolvePlan(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", PRODUCT_TAKEN);
    throw error;
  }
}

export async function getPlan(db: Database, planId: string): Promise<ResolvedPlan> {
  const row = await findPlanRow(db, planId);
  if (!row) throw new AppError("NOT_FOUND", "No such plan.");
  return resolvePlan(row);
}

/** Replaces name, Stripe product and features; stored drift is rewritten in declared form. */
export async function updatePlan(db: Database, planId: string, input: PlanInput): Promise<ResolvedPlan> {
  try {
    const row = await updatePlanRow(db, planId, {
      name: input.name,
      stripeProductId: input.stripeProductId,
      features: storedFeatures(input.features),
      updatedAt: Date.now(),
    });
    if (!row) throw new AppError("NOT_FOUND", "No such plan.");
    return resolvePlan(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", PRODUCT_TAKEN);
    throw error;
  }
}

export async function deletePlan(db: Database, planId: string): Promise<void> {
  const deleted = await deleteUnusedPlanRow(db, planId);
  if (deleted.length > 0) return;
  await getPlan(db, planId); // 404 when it does not exist
  throw new AppError("CONFLICT", "The default plan, or a plan organizations are on, cannot be deleted.");
}

export async function setDefaultPlan(db: Database, planId: string): Promise<ResolvedPlan> {
  const [, set] = await db.batch(buildDefaultPlanSwitch(db, planId, Date.now()));
  if (set.length === 0) throw new AppError("NOT_FOUND", "No such plan.");
  return getPlan(db, planId);
}
