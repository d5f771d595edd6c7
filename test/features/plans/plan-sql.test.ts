// SEC-52: the AI settlement reads the plan's token_limit, the overage settings and the billing
// period in SQL inside its own batch, and GET /usage/summary its periods in SQL beside the policy.
// These must resolve exactly as the JavaScript readers do (resolveOrganizationPlan, readSetting,
// loadLedgerPolicy), drift included: a stored value the declaration refuses is the default in both.
import { env } from "cloudflare:test";
import { sql } from "drizzle-orm";
import { afterEach, describe, expect, it } from "vitest";
import { loadLedgerPolicy, selectLedgerLimitsSQL } from "../../../src/features/ai/ledger";
import { resolveOrganizationPlan, selectPlanQuotaSQL } from "../../../src/features/plans/service";
import { insertUser } from "../../helpers/factories";
import { testServiceContext } from "../../helpers/service-context";

const ctx = testServiceContext();
const now = Date.UTC(2026, 11, 2, 16, 0, 0);

async function evaluate<T>(fragment: ReturnType<typeof sql>): Promise<T> {
  const row = await ctx.db.get<{ value: T }>(sql`SELECT ${fragment} AS value`);
  return row.value;
}

async function putPlan(organizationId: string, features: string): Promise<void> {
  const id = `plan_${crypto.randomUUID()}`;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO plan (id, name, stripe_product_id, is_default, features, created_at, updated_at) VALUES (?, ?, NULL, 0, ?, ?, ?)",
    ).bind(id, id, features, now, now),
    env.DB.prepare("UPDATE organization SET plan_id = ? WHERE id = ?").bind(id, organizationId),
  ]);
}

/** The stored JSON text as given, valid or not (drift). */
async function putSetting(scope: string, scopeId: string, key: string, valueJSON: string): Promise<void> {
  await env.DB.prepare(
    `INSERT INTO setting (scope, scope_id, key, value, updated_at, updated_by_user_id) VALUES (?, ?, ?, ?, ?, NULL)
     ON CONFLICT (scope, scope_id, key) DO UPDATE SET value = excluded.value`,
  )
    .bind(scope, scopeId, key, valueJSON, now)
    .run();
}

/** What the settlement's batch reads, beside what loadLedgerPolicy reads, for one organization. */
async function compareLimits(organizationId: string) {
  const policy = await loadLedgerPolicy(ctx, organizationId, now);
  const limits = selectLedgerLimitsSQL(organizationId, now);
  const inSQL = {
    tokenLimit: await evaluate<number>(limits.tokenLimit),
    isOverageEnabled: (await evaluate<number>(limits.isOverageEnabled)) === 1,
    overageCeiling: await evaluate<number>(limits.overageCeiling),
    periodStart: await evaluate<number>(limits.periodStart),
  };
  expect(inSQL).toEqual({ ...policy.limits, periodStart: policy.period.start });
  const plan = await resolveOrganizationPlan(ctx, organizationId, now);
  expect(await evaluate<number>(selectPlanQuotaSQL(sql`${organizationId}`, "max_notes"))).toBe(plan.features.max_notes);
  return inSQL;
}

afterEach(async () => {
  await env.DB.prepare("DELETE FROM setting WHERE scope = 'system'").run();
});

describe("SEC-52 the settlement's limits in SQL equal loadLedgerPolicy's", () => {
  it.each([
    ['{"max_notes":5,"token_limit":1234,"enable_ai":true}', 1234],
    ['{"token_limit":-1,"max_notes":-1}', -1],
    ['{"token_limit":-7,"max_notes":-2}', 0],
    ['{"token_limit":12.9,"max_notes":3.5}', 12],
    ['{"token_limit":1e3}', 1000],
    ['{"token_limit":"lots","max_notes":null}', 50_000],
    ["{}", 50_000],
    ["[1, 2]", 50_000],
    ['"token_limit"', 50_000],
    ["not json {", 50_000],
  ])("plan features %s: token_limit %d", async (features, expected) => {
    const { organizationId } = await insertUser({ role: "org_admin" });
    await putPlan(organizationId, features);
    expect((await compareLimits(organizationId)).tokenLimit).toBe(expected);
  });

  it("a plan_id whose plan is gone falls back to the default plan, as resolveOrganizationPlan does", async () => {
    const { organizationId } = await insertUser({ role: "org_admin" });
    await env.DB.prepare("UPDATE organization SET plan_id = 'plan_deleted' WHERE id = ?").bind(organizationId).run();
    await compareLimits(organizationId);
  });

  it.each([
    ["true", "true", "5000", "1000", { isOverageEnabled: true, overageCeiling: 1000 }],
    ["true", "true", "500", null, { isOverageEnabled: true, overageCeiling: 500 }],
    ["true", "false", "500", null, { isOverageEnabled: false, overageCeiling: 500 }],
    ["false", "true", "2.0", null, { isOverageEnabled: false, overageCeiling: 2 }],
    ['"yes"', "true", "2.5", null, { isOverageEnabled: false, overageCeiling: 0 }],
    ["1", "true", "-3", null, { isOverageEnabled: false, overageCeiling: 0 }],
    ["true", "true", "1e13", null, { isOverageEnabled: true, overageCeiling: 0 }],
    ["true", "not json", '"many"', "{", { isOverageEnabled: false, overageCeiling: 0 }],
  ])(
    "overage_enabled %s, ai_overage_enabled %s, ceiling %s bounded by %s",
    async (orgSwitch, systemSwitch, ceiling, bound, expected) => {
      const { organizationId } = await insertUser({ role: "org_admin" });
      await putSetting("organization", organizationId, "overage_enabled", orgSwitch);
      await putSetting("system", "", "ai_overage_enabled", systemSwitch);
      await putSetting("organization", organizationId, "ai_overage_ceiling_tokens", ceiling);
      if (bound !== null) await putSetting("system", "", "ai_overage_ceiling_max_tokens", bound);
      expect(await compareLimits(organizationId)).toMatchObject(expected);
    },
  );

  it.each([
    ["inside the subscription's period", now - 1000, now + 1000],
    ["after the subscription's period ended (calendar month)", now - 2000, now - 1000],
    ["without a subscription (calendar month)", null, null],
  ])("the billing period %s", async (_, start, end) => {
    const { organizationId } = await insertUser({ role: "org_admin" });
    await env.DB.prepare("UPDATE organization SET current_period_start = ?, current_period_end = ? WHERE id = ?")
      .bind(start, end, organizationId)
      .run();
    await compareLimits(organizationId);
  });
});
