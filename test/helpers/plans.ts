// Plan fixtures for route-driven tests: sample values built from the declared PlanFeatures, and
// plan rows written straight into D1 (throwaway plans, organizations put on an unlimited plan).
import { env } from "cloudflare:test";
import { FEATURE_NAMES, PLAN_FEATURES, UNLIMITED } from "../../src/features/plans/features";

/** The plan the migrations seed as the default; tests must leave it the default. */
const SEEDED_DEFAULT_PLAN_ID = "plan_free";

/**
 * A value for every declared feature that its schema accepts and that differs from the default, so
 * a write that dropped it would show: quotas 1 (an integer >= -1 that is neither the default nor
 * unlimited), flags the opposite of their default.
 */
export function samplePlanFeatures(): Record<string, number | boolean> {
  return Object.fromEntries(
    FEATURE_NAMES.map((name) => {
      const definition = PLAN_FEATURES[name];
      return [name, definition.kind === "quota" ? 1 : !definition.default];
    }),
  );
}

/** Every quota unlimited (-1), every flag on. */
export function unlimitedPlanFeatures(): Record<string, number | boolean> {
  return Object.fromEntries(
    FEATURE_NAMES.map((name) => [name, PLAN_FEATURES[name].kind === "quota" ? UNLIMITED : true]),
  );
}

/** A fresh Stripe product id each call: stripe_product_id is unique across plans. */
export function uniqueStripeProductId(): string {
  return `prod_test${crypto.randomUUID().replace(/-/g, "")}`;
}

/** A non-default plan no organization is on: one a test may update, delete or make the default. */
export async function insertPlan(
  options: { name?: string; features?: Record<string, unknown>; id?: string } = {},
): Promise<string> {
  const id = options.id ?? `plan_test_${crypto.randomUUID()}`;
  const now = Date.now();
  await env.DB.prepare(
    "INSERT INTO plan (id, name, stripe_product_id, is_default, features, created_at, updated_at) VALUES (?, ?, NULL, 0, ?, ?, ?)",
  )
    .bind(id, options.name ?? "Throwaway test plan", JSON.stringify(options.features ?? samplePlanFeatures()), now, now)
    .run();
  return id;
}

/** Puts the organization on a plan of its own; returns the plan's id. */
export async function putOrganizationOnPlan(
  organizationId: string,
  options: { name?: string; features?: Record<string, unknown> } = {},
): Promise<string> {
  const planId = await insertPlan(options);
  await env.DB.prepare("UPDATE organization SET plan_id = ? WHERE id = ?").bind(planId, organizationId).run();
  return planId;
}

/** The organization of the user with this email on a plan whose every quota is unlimited. */
export async function putUsersOrganizationOnUnlimitedPlan(email: string): Promise<string> {
  const row = await env.DB.prepare(
    `SELECT m.organization_id FROM membership m JOIN "user" u ON u.id = m.user_id WHERE u.email = ? ORDER BY m.last_active_at DESC`,
  )
    .bind(email)
    .first<{ organization_id: string }>();
  if (!row) throw new Error(`no user ${email}`);
  return putOrganizationOnPlan(row.organization_id, { name: "Unlimited test plan", features: unlimitedPlanFeatures() });
}

/** Makes the seeded plan the default again if a case moved the flag (or cleared it). */
export async function restoreSeededDefaultPlan(): Promise<void> {
  const { results } = await env.DB.prepare("SELECT id FROM plan WHERE is_default = 1").all<{ id: string }>();
  if (results.length === 1 && results[0]!.id === SEEDED_DEFAULT_PLAN_ID) return;
  await env.DB.batch([
    env.DB.prepare("UPDATE plan SET is_default = 0 WHERE is_default = 1"),
    env.DB.prepare("UPDATE plan SET is_default = 1 WHERE id = ?").bind(SEEDED_DEFAULT_PLAN_ID),
  ]);
}
