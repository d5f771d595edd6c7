// /usage/*: the summary of the ledger this period, the per-call history (own rows for members,
// the organization's for org_admins), top users, and the sys_admin fleet rollup.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { createOrganization, createSysAdmin, type Organization } from "../../helpers/orgs";
import { readText } from "../../helpers/ai";
import type { TestClient } from "../../helpers/client";

let org: Organization;
let noteId: string;

async function callCopilot(client: TestClient): Promise<void> {
  const response = await client.post(`/notes/${noteId}/copilot/summarize`, {});
  expect(response.status).toBe(200);
  await readText(response);
}

async function getJSON<T>(client: TestClient, path: string): Promise<T> {
  const response = await client.get(path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

beforeAll(async () => {
  org = await createOrganization();
  const created = await org.admin.client.post("/notes", {
    title: "Usage",
    content: "A note the copilot will read several times.",
  });
  noteId = ((await created.json()) as { id: string }).id;
  await callCopilot(org.members.member.client);
  await callCopilot(org.members.member.client);
  await callCopilot(org.admin.client);
});

interface Summary {
  organization_id: string;
  ai_enabled: boolean;
  allotment: { used: number; limit: number; remaining: number | null };
  credits: { balance: number };
  overage: { enabled: boolean; used: number; ceiling: number };
  reserved_tokens: number;
  available_tokens: number | null;
  own_usage: { tokens: number; cost_usd: number; calls: number };
}

describe("GET /usage/summary", () => {
  it("shows the organization's allotment, credits, overage and reserved tokens, and the caller's own usage", async () => {
    const member = await getJSON<Summary>(org.members.member.client, "/usage/summary");
    const admin = await getJSON<Summary>(org.admin.client, "/usage/summary");
    const total = await env.DB.prepare("SELECT sum(tokens) AS tokens FROM llm_usage_log WHERE organization_id = ?")
      .bind(org.id)
      .first<{ tokens: number }>();
    expect(member).toMatchObject({
      organization_id: org.id,
      ai_enabled: true,
      allotment: { used: total!.tokens, limit: 50_000, remaining: 50_000 - total!.tokens },
      credits: { balance: 0 },
      overage: { enabled: false, used: 0, ceiling: 0 },
      reserved_tokens: 0,
      available_tokens: 50_000 - total!.tokens,
      own_usage: { calls: 2, cost_usd: 0 },
    });
    expect(admin.own_usage.calls).toBe(1);
    expect(member.own_usage.tokens + admin.own_usage.tokens).toBe(total!.tokens);
  });

  it("is refused to readonly members", async () => {
    expect((await org.members.readonly.client.get("/usage/summary")).status).toBe(403);
  });
});

describe("GET /usage/history", () => {
  it("gives a member their own rows and an org_admin the whole organization's, newest first and paginated", async () => {
    type History = {
      organization_id: string;
      scope: string;
      items: { user_id: string; bucket: string; tokens: number }[];
      has_more: boolean;
    };
    const own = await getJSON<History>(org.members.member.client, "/usage/history");
    expect(own.scope).toBe("own");
    expect(own.items).toHaveLength(2);
    expect(own.items.every((item) => item.user_id === org.members.member.id)).toBe(true);
    const whole = await getJSON<History>(org.admin.client, "/usage/history");
    expect(whole.scope).toBe("organization");
    expect(whole.items.map((item) => item.user_id)).toEqual([
      org.admin.id,
      org.members.member.id,
      org.members.member.id,
    ]);
    const page = await getJSON<History>(org.admin.client, "/usage/history?limit=2&offset=0");
    expect(page.items).toHaveLength(2);
    expect(page.has_more).toBe(true);
  });
});

describe("GET /usage/top-users", () => {
  it("ranks the organization's members by tokens this period (org_admin only)", async () => {
    type Top = { items: { user_id: string; email: string; tokens: number; calls: number }[] };
    const top = await getJSON<Top>(org.admin.client, "/usage/top-users");
    expect(top.items.map((item) => [item.user_id, item.email, item.calls])).toEqual([
      [org.members.member.id, org.members.member.email, 2],
      [org.admin.id, org.admin.email, 1],
    ]);
    expect((await org.members.member.client.get("/usage/top-users")).status).toBe(403);
  });
});

describe("GET /usage/fleet", () => {
  it("rolls every organization's usage up over `days` for a sys_admin, per day and per model", async () => {
    const sysAdmin = await createSysAdmin();
    type Fleet = {
      days: number;
      totals: { tokens: number; calls: number; organizations: number; charged_tokens: number };
      by_day: { day: string; tokens: number }[];
      by_model: { provider: string; model: string; calls: number }[];
    };
    const fleet = await getJSON<Fleet>(sysAdmin.client, "/usage/fleet?days=7");
    expect(fleet.days).toBe(7);
    expect(fleet.totals.calls).toBeGreaterThanOrEqual(3);
    expect(fleet.totals.organizations).toBeGreaterThanOrEqual(1);
    expect(fleet.totals.charged_tokens).toBe(fleet.totals.tokens);
    expect(fleet.by_day.at(-1)!.day).toBe(new Date().toISOString().slice(0, 10));
    // One bucket per UTC day, however many calls that day had.
    expect(new Set(fleet.by_day.map((entry) => entry.day)).size).toBe(fleet.by_day.length);
    expect(fleet.by_model).toContainEqual(expect.objectContaining({ provider: "fake", model: "fake-copilot-1" }));
    expect((await getJSON<Fleet>(sysAdmin.client, "/usage/fleet")).days).toBe(30);
    expect((await sysAdmin.client.get("/usage/fleet?days=366")).status).toBe(422);
    expect((await org.admin.client.get("/usage/fleet")).status).toBe(403);
  });
});
