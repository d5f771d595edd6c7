import { describe, expect, it } from "vitest";
import { env } from "cloudflare:test";
import { createOrganization, createSysAdmin } from "../../helpers/orgs";
import { countRows } from "../../helpers/factories";
import { resolveFeatures, normalizeQuota } from "../../../src/features/plans/features";
import { calendarMonthOf, currentBillingPeriod } from "../../../src/features/plans/period";

async function setOrganizationPlanFeatures(organizationId: string, features: Record<string, unknown>): Promise<string> {
  const planId = `plan_test_${crypto.randomUUID()}`;
  await env.DB.batch([
    env.DB.prepare(
      "INSERT INTO plan (id, name, is_default, features, created_at, updated_at) VALUES (?, 'Test', 0, ?, 0, 0)",
    ).bind(planId, JSON.stringify(features)),
    env.DB.prepare("UPDATE organization SET plan_id = ? WHERE id = ?").bind(planId, organizationId),
  ]);
  return planId;
}

describe("PlanFeatures", () => {
  it("-1 is unlimited, any other negative resolves to 0", () => {
    expect(normalizeQuota(-1)).toBe(-1);
    expect(normalizeQuota(-5)).toBe(0);
    expect(normalizeQuota(7.9)).toBe(7);
  });

  it("drift never breaks a read: missing keys default, wrong types are ignored, extra keys are listed", () => {
    const { features, warnings } = resolveFeatures('{"max_notes":"ten","enable_ai":true,"legacy_seats":5}', {
      planId: "p",
    });
    expect(features).toEqual({ max_notes: 10, token_limit: 50_000, enable_ai: true });
    expect(warnings).toEqual([
      expect.stringContaining("max_notes has the wrong type"),
      expect.stringContaining("token_limit is missing"),
      expect.stringContaining("legacy_seats is not a declared feature"),
    ]);
    expect(resolveFeatures("not json", { planId: "p" }).features).toEqual({
      max_notes: 10,
      token_limit: 50_000,
      enable_ai: false,
    });
  });
});

describe("billing periods", () => {
  it("use the subscription's current period while inside it, else the UTC calendar month", () => {
    const now = Date.UTC(2026, 10, 27, 12);
    expect(calendarMonthOf(now)).toEqual({
      start: Date.UTC(2026, 10, 1),
      end: Date.UTC(2026, 11, 1),
      source: "calendar_month",
    });
    const subscription = { periodStart: Date.UTC(2026, 10, 15), periodEnd: Date.UTC(2026, 11, 15) };
    expect(currentBillingPeriod(subscription, now)).toMatchObject({
      start: subscription.periodStart,
      source: "subscription",
    });
    expect(currentBillingPeriod(subscription, Date.UTC(2026, 11, 20))).toMatchObject({ source: "calendar_month" });
  });
});

describe("GET /plans and GET /plan", () => {
  it("lists the seeded catalogue and puts a new organization on the default plan", async () => {
    const org = await createOrganization();
    const { plans } = (await (await org.members.readonly.client.get("/plans")).json()) as {
      plans: { id: string; is_default: boolean }[];
    };
    expect(plans.map((p) => p.id)).toEqual(expect.arrayContaining(["plan_free", "plan_professional", "plan_premium"]));
    const current = (await (await org.members.readonly.client.get("/plan")).json()) as {
      plan: { id: string };
      period: { source: string };
      usage: Record<string, { used: number; limit: number }>;
    };
    expect(current.plan.id).toBe("plan_free");
    expect(current.period.source).toBe("calendar_month");
    expect(current.usage.max_notes).toEqual({ used: 0, limit: 10 });
  });
});

describe("the max_notes quota", () => {
  it("lets exactly 10 of 30 parallel note creations through against max_notes = 10", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: 10, token_limit: 0, enable_ai: false });
    const client = org.members.member.client;
    const responses = await Promise.all(
      Array.from({ length: 30 }, (_, i) => client.post("/notes", { title: `note ${i}` })),
    );
    const statuses = responses.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(10);
    expect(statuses.filter((s) => s === 402)).toHaveLength(20);
    expect(await countRows("note", "organization_id = ?", org.id)).toBe(10);
    const refused = responses.find((r) => r.status === 402)!;
    expect(await refused.json()).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { feature: "max_notes", limit: 10 } },
    });
    const plan = (await (await client.get("/plan")).json()) as { usage: Record<string, { used: number }> };
    expect(plan.usage.max_notes!.used).toBe(10);
  });

  it("gives a unit back when a note is deleted", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: 1, token_limit: 0, enable_ai: false });
    const client = org.members.member.client;
    const first = (await (await client.post("/notes", { title: "one" })).json()) as { id: string };
    expect((await client.post("/notes", { title: "two" })).status).toBe(402);
    expect((await client.delete(`/notes/${first.id}`)).status).toBe(204);
    expect((await client.post("/notes", { title: "two" })).status).toBe(201);
  });

  it("resets when the period rolls over: last month's usage does not count", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: 1, token_limit: 0, enable_ai: false });
    const lastMonth = calendarMonthOf(calendarMonthOf(Date.now()).start - 1).start;
    await env.DB.prepare(
      "INSERT INTO usage_counter (organization_id, feature, period_start, used) VALUES (?, 'max_notes', ?, 1)",
    )
      .bind(org.id, lastMonth)
      .run();
    expect((await org.members.member.client.post("/notes", { title: "new month" })).status).toBe(201);
  });

  it("SEC-60 deleting last period's note gives its unit back to last period's counter, not this period's", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: 1, token_limit: 0, enable_ai: false });
    const client = org.members.member.client;
    const thisMonth = calendarMonthOf(Date.now()).start;
    const lastMonth = calendarMonthOf(thisMonth - 1).start;
    // A note created last month: its unit sits in last month's counter, and the note knows it.
    const old = (await (await client.post("/notes", { title: "last month" })).json()) as { id: string };
    await env.DB.batch([
      env.DB.prepare(
        "UPDATE usage_counter SET period_start = ? WHERE organization_id = ? AND feature = 'max_notes'",
      ).bind(lastMonth, org.id),
      env.DB.prepare("UPDATE note SET quota_period_start = ? WHERE id = ?").bind(lastMonth, old.id),
    ]);
    // This month's only unit is taken.
    expect((await client.post("/notes", { title: "this month" })).status).toBe(201);
    expect((await client.post("/notes", { title: "one too many" })).status).toBe(402);

    expect((await client.delete(`/notes/${old.id}`)).status).toBe(204);
    const counters = await env.DB.prepare(
      "SELECT period_start, used FROM usage_counter WHERE organization_id = ? AND feature = 'max_notes' ORDER BY period_start",
    )
      .bind(org.id)
      .all<{ period_start: number; used: number }>();
    expect(counters.results).toEqual([
      { period_start: lastMonth, used: 0 },
      { period_start: thisMonth, used: 1 },
    ]);
    // So this month's limit still holds.
    expect((await client.post("/notes", { title: "still one too many" })).status).toBe(402);
  });

  it("SEC-60 a note deleted twice at once gives its unit back once", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: 3, token_limit: 0, enable_ai: false });
    const client = org.members.member.client;
    const notes: { id: string }[] = [];
    for (const title of ["a", "b", "c"])
      notes.push((await (await client.post("/notes", { title })).json()) as { id: string });
    const statuses = await Promise.all(Array.from({ length: 5 }, () => client.delete(`/notes/${notes[0]!.id}`)));
    expect(statuses.map((r) => r.status).sort()).toEqual([204, 404, 404, 404, 404]);
    const plan = (await (await client.get("/plan")).json()) as { usage: Record<string, { used: number }> };
    expect(plan.usage.max_notes!.used).toBe(2);
    expect(await countRows("note", "organization_id = ?", org.id)).toBe(2);
  });

  it("an unlimited quota (-1) never refuses", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: -1, token_limit: 0, enable_ai: false });
    const responses = await Promise.all(
      Array.from({ length: 12 }, () => org.members.member.client.post("/notes", { title: "n" })),
    );
    expect(responses.every((r) => r.status === 201)).toBe(true);
  });

  it("a zero quota (any negative but -1) refuses the first note", async () => {
    const org = await createOrganization();
    await setOrganizationPlanFeatures(org.id, { max_notes: -7, token_limit: 0, enable_ai: false });
    expect((await org.members.member.client.post("/notes", { title: "n" })).status).toBe(402);
  });
});

describe("/admin/plans", () => {
  it("creates, reads, replaces, sets default and deletes plans, listing drift warnings", async () => {
    const admin = await createSysAdmin();
    const created = await admin.client.post("/admin/plans", {
      name: "Team",
      stripe_product_id: "prod_Team123",
      features: { max_notes: 50 },
    });
    expect(created.status).toBe(201);
    const plan = (await created.json()) as { id: string; features: Record<string, unknown>; warnings: string[] };
    expect(plan.features).toEqual({ max_notes: 50, token_limit: 50_000, enable_ai: false });
    expect(plan.warnings).toEqual([]);

    await env.DB.prepare("UPDATE plan SET features = ? WHERE id = ?")
      .bind('{"max_notes":"lots","extra":1}', plan.id)
      .run();
    const drifted = (await (await admin.client.get(`/admin/plans/${plan.id}`)).json()) as {
      warnings: string[];
      features: { max_notes: number };
    };
    expect(drifted.features.max_notes).toBe(10);
    expect(drifted.warnings.length).toBeGreaterThanOrEqual(2);

    const replaced = await admin.client.put(`/admin/plans/${plan.id}`, {
      name: "Team+",
      stripe_product_id: null,
      features: { max_notes: 60, enable_ai: true },
    });
    expect(await replaced.json()).toMatchObject({
      name: "Team+",
      stripe_product_id: null,
      features: { max_notes: 60, enable_ai: true },
      warnings: [],
    });

    expect((await admin.client.post(`/admin/plans/${plan.id}/default`)).status).toBe(200);
    expect(await countRows("plan", "is_default = 1")).toBe(1);
    expect((await admin.client.delete(`/admin/plans/${plan.id}`)).status).toBe(409);
    expect((await admin.client.post("/admin/plans/plan_free/default")).status).toBe(200);
    expect((await admin.client.delete(`/admin/plans/${plan.id}`)).status).toBe(204);
  });

  it("SEC-49 records each catalogue change once, in its own batch, and nothing for a refused one", async () => {
    const admin = await createSysAdmin();
    const changes = (planId: string) => countRows("audit_log", "action = 'plan_changed' AND target = ?", planId);
    const body = { name: "Audited", stripe_product_id: "prod_Audited123", features: { max_notes: 5 } };
    const plan = (await (await admin.client.post("/admin/plans", body)).json()) as { id: string };
    expect(await changes(plan.id)).toBe(1);

    // A product id another plan holds is refused by the UNIQUE index: the batch rolls back whole.
    const before = await countRows("audit_log", "action = 'plan_changed'");
    expect((await admin.client.post("/admin/plans", { ...body, name: "Copy" })).status).toBe(409);
    expect(await countRows("audit_log", "action = 'plan_changed'")).toBe(before);

    expect((await admin.client.put(`/admin/plans/${plan.id}`, { ...body, name: "Audited 2" })).status).toBe(200);
    expect((await admin.client.put("/admin/plans/plan_missing", body)).status).toBe(404);
    expect(await changes("plan_missing")).toBe(0);
    expect((await admin.client.post(`/admin/plans/${plan.id}/default`)).status).toBe(200);
    expect((await admin.client.post("/admin/plans/plan_missing/default")).status).toBe(404);
    expect((await admin.client.delete(`/admin/plans/${plan.id}`)).status).toBe(409);
    expect(await changes(plan.id)).toBe(3);
    expect(await changes("plan_missing")).toBe(0);

    expect((await admin.client.post("/admin/plans/plan_free/default")).status).toBe(200);
    expect((await admin.client.delete(`/admin/plans/${plan.id}`)).status).toBe(204);
    expect(await changes(plan.id)).toBe(4);
    expect(await countRows("audit_log", "target = ? AND details LIKE '%deleted%'", plan.id)).toBe(1);
  });

  it("validates features against the declaration: unknown features and wrong types are 422", async () => {
    const admin = await createSysAdmin();
    for (const features of [
      { seats: 3 },
      { max_notes: "10" },
      { enable_ai: 1 },
      { max_notes: -2 },
      { max_notes: 1.5 },
    ]) {
      const response = await admin.client.post("/admin/plans", { name: "Bad", features });
      expect(response.status).toBe(422);
    }
  });

  it("refuses a Stripe product id another plan uses (409)", async () => {
    const admin = await createSysAdmin();
    await admin.client.post("/admin/plans", { name: "A", stripe_product_id: "prod_Dup1", features: {} });
    expect(
      (await admin.client.post("/admin/plans", { name: "B", stripe_product_id: "prod_Dup1", features: {} })).status,
    ).toBe(409);
  });

  it("is sys_admin only", async () => {
    const org = await createOrganization();
    expect((await org.admin.client.get("/admin/plans")).status).toBe(403);
    expect((await org.admin.client.post("/admin/plans", { name: "X", features: {} })).status).toBe(403);
  });
});

describe("the default plan", () => {
  it("an unknown plan id is 404 and the catalogue keeps its default", async () => {
    const admin = await createSysAdmin();
    expect((await admin.client.post("/admin/plans/plan_does_not_exist/default")).status).toBe(404);
    expect(await countRows("plan", "is_default = 1 AND id = 'plan_free'")).toBe(1);
  });
});
