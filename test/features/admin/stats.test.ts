// GET /admin/stats (sys_admin): signups per day, active sessions, organizations by plan, AI tokens
// and cost per day; each one an aggregate query D1 answers from an index.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createDB } from "../../../src/db/client";
import { buildStatsQueries } from "../../../src/features/admin/repo";
import { DAY_MS } from "../../../src/lib/time";
import { createSysAdmin, type Member } from "../../helpers/orgs";
import { insertMembershipStatement } from "../../helpers/factories";

interface Stats {
  days: number;
  since: string;
  signups_by_day: { day: string; signups: number }[];
  active_sessions: number;
  organizations_by_plan: { plan_id: string | null; plan_name: string | null; organizations: number }[];
  ai_usage_by_day: { day: string; tokens: number; cost_usd: number }[];
}

let sysAdmin: Member;
const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;
const isoDay = (epochMs: number) => new Date(epochMs).toISOString().slice(0, 10);

async function readStats(query = ""): Promise<Stats> {
  const response = await sysAdmin.client.get(`/admin/stats${query}`);
  expect(response.status).toBe(200);
  return (await response.json()) as Stats;
}

async function insertOrganization(planId: string | null): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO organization (id, name, created_at, plan_id) VALUES (?, 'Stats', ?, ?)")
    .bind(id, Date.now(), planId)
    .run();
  return id;
}

async function insertUserAt(organizationId: string, createdAt: number): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.batch([
    env.DB.prepare(`INSERT INTO "user" (id, email, created_at, updated_at) VALUES (?, ?, ?, ?)`).bind(
      id,
      `${id}@stats.test`,
      createdAt,
      createdAt,
    ),
    insertMembershipStatement({ userId: id, organizationId, role: "member", now: createdAt }),
  ]);
  return id;
}

async function insertUsage(organizationId: string, bucket: string, tokens: number, costUSD: number, createdAt: number) {
  await env.DB.prepare(
    `INSERT INTO llm_usage_log (organization_id, reservation_id, settlement_id, provider, model, bucket, tokens,
                                input_tokens, output_tokens, cost_usd, period_start, created_at)
     VALUES (?, ?, 'settlement', 'fake', 'fake-model', ?, ?, ?, 0, ?, ?, ?)`,
  )
    .bind(organizationId, crypto.randomUUID(), bucket, tokens, tokens, costUSD, createdAt, createdAt)
    .run();
}

beforeAll(async () => {
  sysAdmin = await createSysAdmin();
});

describe("GET /admin/stats", () => {
  it("counts signups per UTC day over `days`, today included", async () => {
    const before = await readStats("?days=3");
    const organizationId = await insertOrganization(null);
    await insertUserAt(organizationId, today - 2 * DAY_MS + 1000);
    await insertUserAt(organizationId, today - 2 * DAY_MS + 2000);
    await insertUserAt(organizationId, today - 3 * DAY_MS + 1000); // outside 3 days
    const after = await readStats("?days=3");
    expect(after.days).toBe(3);
    expect(after.since).toBe(new Date(today - 2 * DAY_MS).toISOString());
    const count = (stats: Stats, day: number) =>
      stats.signups_by_day.find((row) => row.day === isoDay(day))?.signups ?? 0;
    expect(count(after, today - 2 * DAY_MS) - count(before, today - 2 * DAY_MS)).toBe(2);
    expect(after.signups_by_day.map((row) => row.day)).not.toContain(isoDay(today - 3 * DAY_MS));
    expect(count(after, today)).toBeGreaterThanOrEqual(1); // the sys_admin
  });

  it("counts sessions that have not expired", async () => {
    const before = await readStats();
    const organizationId = await insertOrganization(null);
    const userId = await insertUserAt(organizationId, Date.now());
    const insertSession = (expiresAt: number) =>
      env.DB.prepare(
        "INSERT INTO session (id, token_hash, user_id, active_organization_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
      )
        .bind(crypto.randomUUID(), crypto.randomUUID(), userId, organizationId, Date.now(), expiresAt)
        .run();
    await insertSession(Date.now() + DAY_MS);
    await insertSession(Date.now() - 1000);
    expect((await readStats()).active_sessions - before.active_sessions).toBe(1);
  });

  it("counts organizations by plan, those without a plan on the default plan, with plan names", async () => {
    const defaultPlan = await env.DB.prepare("SELECT id, name FROM plan WHERE is_default = 1").first<{
      id: string;
      name: string;
    }>();
    const otherPlan = await env.DB.prepare("SELECT id, name FROM plan WHERE is_default = 0 LIMIT 1").first<{
      id: string;
      name: string;
    }>();
    expect(defaultPlan).not.toBeNull();
    expect(otherPlan).not.toBeNull();
    const before = await readStats();
    await insertOrganization(null);
    await insertOrganization(defaultPlan!.id);
    await insertOrganization(otherPlan!.id);
    const after = await readStats();
    const row = (stats: Stats, id: string) => stats.organizations_by_plan.find((entry) => entry.plan_id === id);
    expect(row(after, defaultPlan!.id)).toEqual({
      plan_id: defaultPlan!.id,
      plan_name: defaultPlan!.name,
      organizations: (row(before, defaultPlan!.id)?.organizations ?? 0) + 2,
    });
    expect(row(after, otherPlan!.id)).toEqual({
      plan_id: otherPlan!.id,
      plan_name: otherPlan!.name,
      organizations: (row(before, otherPlan!.id)?.organizations ?? 0) + 1,
    });
    expect(after.organizations_by_plan.some((entry) => entry.plan_id === null)).toBe(false);
    const total = await env.DB.prepare("SELECT count(*) AS n FROM organization").first<{ n: number }>();
    expect(after.organizations_by_plan.reduce((sum, entry) => sum + entry.organizations, 0)).toBe(total!.n);
  });

  it("sums charged AI tokens and cost per day, leaving out absorbed usage", async () => {
    const organizationId = await insertOrganization(null);
    const day = today - 5 * DAY_MS;
    const before = await readStats("?days=10");
    await insertUsage(organizationId, "allotment", 100, 0.5, day + 10);
    await insertUsage(organizationId, "credits", 50, 0.25, day + 20);
    await insertUsage(organizationId, "absorbed", 1000, 5, day + 30);
    const after = await readStats("?days=10");
    const at = (stats: Stats) =>
      stats.ai_usage_by_day.find((row) => row.day === isoDay(day)) ?? { tokens: 0, cost_usd: 0 };
    expect(at(after).tokens - at(before).tokens).toBe(150);
    expect(at(after).cost_usd - at(before).cost_usd).toBeCloseTo(0.75);
  });

  it("validates days (1 to 365, default 30) and is for sys_admins only", async () => {
    expect((await readStats()).days).toBe(30);
    expect((await readStats("?days=365")).days).toBe(365);
    for (const days of ["0", "366", "x", "1.5"]) {
      expect((await sysAdmin.client.get(`/admin/stats?days=${days}`)).status, days).toBe(422);
    }
    expect((await sysAdmin.client.get("/admin/stats?other=1")).status).toBe(422);
  });

  it("answers every part from an index, never a table scan", async () => {
    const queries = buildStatsQueries(createDB(env.DB), today - 29 * DAY_MS, Date.now());
    const plans: Record<string, string[]> = {};
    for (const [name, query] of Object.entries(queries)) {
      const { sql, params } = query.toSQL();
      const { results } = await env.DB.prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .bind(...params)
        .all<{ detail: string }>();
      plans[name] = results.map((row) => row.detail);
    }
    const scans = Object.entries(plans).flatMap(([name, details]) =>
      details
        .filter(
          (detail) =>
            /^SCAN /.test(detail) && !/USING (COVERING )?INDEX/.test(detail) && !/^SCAN (by_plan|plan)\b/.test(detail),
        )
        .map((detail) => `${name}: ${detail}`),
    );
    expect(scans, JSON.stringify(plans, null, 2)).toEqual([]);
    expect(plans.signups!.join("\n")).toMatch(/user_created_idx/);
    expect(plans.activeSessions!.join("\n")).toMatch(/session_expires_idx/);
    expect(plans.organizationsByPlan!.join("\n")).toMatch(/organization_plan_idx/);
    expect(plans.aiUsage!.join("\n")).toMatch(/llm_usage_daily/);
  });
});
