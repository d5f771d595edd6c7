// Plan rules: the catalogue, sys_admin CRUD, and which plan and period an organization is on.
import { type SQL, sql } from "drizzle-orm";
import { sqlConstant } from "../../db/sql-fragments";
import { AppError } from "../../errors";
import { isUniqueViolation } from "../../db/errors";
import type { Actor } from "../../platform/actor";
import type { ServiceContext } from "../../platform/service-context";
import {
  defaultFeatures,
  FEATURE_NAMES,
  isQuotaFeature,
  PLAN_FEATURES,
  UNLIMITED,
  resolveFeatures,
  type PlanFeatures,
  type QuotaFeatureName,
} from "./features";
import { calendarMonthOf, currentBillingPeriod, type BillingPeriod } from "./period";
import { type AuditEvent, buildAuditInsertIfChanged, logAuditEvent } from "../audit/service";
import {
  buildDefaultPlanSwitch,
  buildPlanInsert,
  buildPlanUpdate,
  buildUnusedPlanDeletion,
  findOrganizationBilling,
  findPlanRow,
  listPlanRows,
  type PlanRow,
} from "./repo";
import { readUsage } from "./usage-repo";

export interface ResolvedPlan {
  row: PlanRow;
  features: PlanFeatures;
  warnings: string[];
}

function resolvePlan(row: PlanRow): ResolvedPlan {
  const { features, warnings } = resolveFeatures(row.features, { planId: row.id });
  return { row, features, warnings };
}

export async function listPlans(ctx: ServiceContext): Promise<ResolvedPlan[]> {
  return (await listPlanRows(ctx.db)).map(resolvePlan);
}

export interface OrganizationPlan {
  /** The Stripe-driven plan, else the default plan, else none (declared defaults apply). */
  plan: ResolvedPlan | null;
  features: PlanFeatures;
  period: BillingPeriod;
  subscription: { id: string; status: string | null } | null;
}

export async function resolveOrganizationPlan(
  ctx: ServiceContext,
  organizationId: string,
  now = Date.now(),
): Promise<OrganizationPlan> {
  const billing = await findOrganizationBilling(ctx.db, organizationId);
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

// The same resolution in SQL, for a statement that must apply the plan as it is when the statement
// runs (the AI settlement, SEC-52) without a read before it: one round trip less from a Worker far
// from the primary. `organizationId` is an SQL expression (a bound value or a parameter of the
// enclosing statement). test/features/plans/plan-sql.test.ts holds them equal to the functions above.

/** The features JSON of the organization's plan (Stripe-driven, else the default), NULL if neither. */
function selectPlanFeaturesJSON(organizationId: SQL): SQL {
  return sql`(SELECT coalesce(sp.features, dp.features) FROM organization o
                LEFT JOIN plan sp ON sp.id = o.plan_id
                LEFT JOIN plan dp ON dp.is_default = 1
               WHERE o.id = ${organizationId})`;
}

/**
 * A quota feature of the organization's plan as resolveFeatures reads it: the stored number
 * normalized (-1 unlimited, other negatives 0, fractions down), else the declared default (no
 * plan, JSON that is not an object, a missing or non-number value). CASE, not AND, guards each
 * JSON function: SQLite's json_type raises on malformed JSON, and AND does not short-circuit.
 */
export function selectPlanQuotaSQL(organizationId: SQL, feature: QuotaFeatureName): SQL {
  const path = sqlConstant(`$.${feature}`);
  const value = sql`json_extract(f.features, ${path})`;
  return sql`coalesce((SELECT CASE WHEN json_valid(f.features) THEN
                         CASE WHEN json_type(f.features) = 'object' AND json_type(f.features, ${path}) IN ('integer', 'real') THEN
                           CASE WHEN ${value} = ${sqlConstant(UNLIMITED)} THEN ${sqlConstant(UNLIMITED)}
                                WHEN ${value} < 0 THEN 0
                                ELSE CAST(${value} AS INTEGER) END
                         END
                       END
                  FROM (SELECT ${selectPlanFeaturesJSON(organizationId)} AS features) f),
                ${sqlConstant(PLAN_FEATURES[feature].default)})`;
}

/** The start of the organization's billing period at `now`, as currentBillingPeriod decides it. */
export function selectBillingPeriodStartSQL(organizationId: SQL, now: number): SQL {
  return sql`(SELECT CASE WHEN o.current_period_start IS NOT NULL AND o.current_period_end IS NOT NULL
                           AND o.current_period_start <= ${now} AND ${now} < o.current_period_end
                         THEN o.current_period_start ELSE ${calendarMonthOf(now).start} END
                FROM organization o WHERE o.id = ${organizationId})`;
}

export interface OrganizationPlanUsage extends OrganizationPlan {
  /** Per quota feature: what the current period used, against the plan's limit. */
  usage: Partial<Record<QuotaFeatureName, { used: number; limit: number }>>;
}

/** GET /plan: the caller's organization's plan, period, subscription and quota usage. */
export async function getOrganizationPlanUsage(ctx: ServiceContext, actor: Actor): Promise<OrganizationPlanUsage> {
  const { organizationId } = actor;
  const resolved = await resolveOrganizationPlan(ctx, organizationId);
  const usage: OrganizationPlanUsage["usage"] = {};
  for (const feature of FEATURE_NAMES.filter(isQuotaFeature)) {
    usage[feature] = {
      used: await readUsage(ctx.db, { organizationId, feature, periodStart: resolved.period.start }),
      limit: resolved.features[feature],
    };
  }
  return { ...resolved, usage };
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

function planChangeEvent(ctx: ServiceContext, actor: Actor, planId: string, change: string): AuditEvent {
  return {
    action: "plan_changed",
    organizationId: null,
    actorUserId: actor.userId,
    target: planId,
    ip: ctx.ip,
    details: { change },
  };
}

// Each catalogue change and its audit row go in one batch: the row is inserted only if the
// change's statement (just before it) changed a row, so neither exists without the other.

export async function createPlan(ctx: ServiceContext, actor: Actor, input: PlanInput): Promise<ResolvedPlan> {
  const now = Date.now();
  const id = `plan_${crypto.randomUUID()}`;
  const event = planChangeEvent(ctx, actor, id, "created");
  try {
    const [inserted] = await ctx.db.batch([
      buildPlanInsert(ctx.db, {
        id,
        name: input.name,
        stripeProductId: input.stripeProductId,
        isDefault: false,
        features: storedFeatures(input.features),
        createdAt: now,
        updatedAt: now,
      }),
      buildAuditInsertIfChanged(ctx, event),
    ]);
    const row = inserted[0];
    if (!row) throw new Error("plan insert returned no row");
    logAuditEvent(event);
    return resolvePlan(row);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", PRODUCT_TAKEN);
    throw error;
  }
}

export async function getPlan(ctx: ServiceContext, planId: string): Promise<ResolvedPlan> {
  const row = await findPlanRow(ctx.db, planId);
  if (!row) throw new AppError("NOT_FOUND", "No such plan.");
  return resolvePlan(row);
}

/** Replaces name, Stripe product and features; stored drift is rewritten in declared form. */
export async function updatePlan(
  ctx: ServiceContext,
  actor: Actor,
  planId: string,
  input: PlanInput,
): Promise<ResolvedPlan> {
  const event = planChangeEvent(ctx, actor, planId, "updated");
  let updated: PlanRow[];
  try {
    [updated] = await ctx.db.batch([
      buildPlanUpdate(ctx.db, planId, {
        name: input.name,
        stripeProductId: input.stripeProductId,
        features: storedFeatures(input.features),
        updatedAt: Date.now(),
      }),
      buildAuditInsertIfChanged(ctx, event),
    ]);
  } catch (error) {
    if (isUniqueViolation(error)) throw new AppError("CONFLICT", PRODUCT_TAKEN);
    throw error;
  }
  const row = updated[0];
  if (!row) throw new AppError("NOT_FOUND", "No such plan.");
  logAuditEvent(event);
  return resolvePlan(row);
}

export async function deletePlan(ctx: ServiceContext, actor: Actor, planId: string): Promise<void> {
  const event = planChangeEvent(ctx, actor, planId, "deleted");
  const [deleted] = await ctx.db.batch([
    buildUnusedPlanDeletion(ctx.db, planId),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (deleted.length > 0) {
    logAuditEvent(event);
    return;
  }
  await getPlan(ctx, planId); // 404 when it does not exist
  throw new AppError("CONFLICT", "The default plan, or a plan organizations are on, cannot be deleted.");
}

export async function setDefaultPlan(ctx: ServiceContext, actor: Actor, planId: string): Promise<ResolvedPlan> {
  const event = planChangeEvent(ctx, actor, planId, "made_default");
  const [, set] = await ctx.db.batch([
    ...buildDefaultPlanSwitch(ctx.db, planId, Date.now()),
    buildAuditInsertIfChanged(ctx, event),
  ]);
  if (set.length === 0) throw new AppError("NOT_FOUND", "No such plan.");
  logAuditEvent(event);
  return getPlan(ctx, planId);
}
