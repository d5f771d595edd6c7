// Per-member AI budgets (ai_member_token_limit) ride the same reservation as the organization's
// cap: one conditional UPDATE checks both, so under 50 concurrent calls neither is ever passed.
// The same proof as SEC-52's (spend-cap-concurrency.test.ts), with a member's budget in the way.
import { beforeEach, describe, expect, it } from "vitest";
import { getFakeLLMStats, resetFakeLLMStats } from "../../../src/features/ai/llm/fake";
import {
  chargedTokens,
  createAIOrganization,
  expectConsistent,
  NOTE,
  readLedger,
  readText,
  setMemberTokenLimit,
  setPlan,
  withEnv,
  worstCaseOf,
} from "../../helpers/ai";
import type { TestClient } from "../../helpers/client";
import { insertUser } from "../../helpers/factories";
import { inviteAndAccept, signIn } from "../../helpers/orgs";
import { env } from "cloudflare:test";

const CALLS = 50;
const SLOW_PROVIDER = { AI_FAKE_CHUNK_DELAY_MS: "20" };

beforeEach(() => resetFakeLLMStats());

interface Caller {
  userId: string;
  client: TestClient;
  noteId: string;
}

async function createNote(client: TestClient): Promise<string> {
  const created = await client.post("/notes", NOTE);
  expect(created.status).toBe(201);
  return ((await created.json()) as { id: string }).id;
}

/** Fires the calls at once (index → caller), then reads every stream to its end (which settles it). */
async function fireAtOnce(callers: Caller[], calls: number) {
  const responses = await Promise.all(
    Array.from({ length: calls }, (_, index) => {
      const caller = callers[index % callers.length]!;
      return withEnv(caller.client, SLOW_PROVIDER)
        .post(`/notes/${caller.noteId}/copilot/improve`, {})
        .then((response) => ({ caller, response }));
    }),
  );
  const stats = getFakeLLMStats();
  const served = new Map<string, number>();
  const refusals: unknown[] = [];
  for (const { caller, response } of responses) {
    if (response.status === 200) {
      expect((await readText(response)).length).toBeGreaterThan(0);
      served.set(caller.userId, (served.get(caller.userId) ?? 0) + 1);
    } else {
      expect(response.status).toBe(402);
      refusals.push(await response.json());
    }
  }
  return { providerCalls: stats.calls, served, refusals };
}

async function chargedTo(organizationId: string, userId: string): Promise<number> {
  const row = await env.DB.prepare(
    "SELECT coalesce(sum(tokens), 0) AS tokens FROM llm_usage_log WHERE organization_id = ? AND user_id = ? AND bucket <> 'absorbed'",
  )
    .bind(organizationId, userId)
    .first<{ tokens: number }>();
  return row?.tokens ?? 0;
}

describe("SEC-52 per-member AI budgets under 50 concurrent calls", () => {
  it("SEC-52 a member budget of 3 worst cases in an organization with room for 10: 3 of 50 reach the provider, 47 get 402 before it", async () => {
    const org = await createAIOrganization();
    const worstCase = org.worstCase;
    await setPlan(org.id, { token_limit: 10 * worstCase, enable_ai: true });
    await setMemberTokenLimit(org.id, 3 * worstCase);

    const outcome = await fireAtOnce([{ userId: org.userId, client: org.client, noteId: org.noteId }], CALLS);
    const ledger = await readLedger(org.id);
    console.info(
      `SEC-52 member budget 3 x ${worstCase} of org 10 x ${worstCase}: provider reached ${outcome.providerCalls} of ${CALLS}; member charged ${await chargedTo(org.id, org.userId)}`,
    );
    expect(outcome.providerCalls).toBe(3);
    expect(outcome.refusals).toHaveLength(CALLS - 3);
    expect(outcome.refusals[0]).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { feature: "ai_member_token_limit", requested_tokens: worstCase } },
    });
    expect(await chargedTo(org.id, org.userId)).toBeLessThanOrEqual(3 * worstCase);
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0 });
    expectConsistent(ledger);
  });

  it("SEC-52 both caps hold at once: two members, one budgeted at 3 worst cases, an organization with room for 5; 50 calls", async () => {
    const owner = await insertUser({ role: "org_admin" });
    const ownerClient = withEnv(await signIn(owner), {});
    const colleague = await inviteAndAccept(await signIn(owner), "member");
    const colleagueClient = withEnv(colleague.client, {});
    const worstCase = worstCaseOf("improve");
    await setPlan(owner.organizationId, { token_limit: 5 * worstCase, enable_ai: true });
    await setMemberTokenLimit(owner.organizationId, 3 * worstCase);
    const callers: Caller[] = [
      { userId: owner.id, client: ownerClient, noteId: await createNote(ownerClient) },
      { userId: colleague.id, client: colleagueClient, noteId: await createNote(colleagueClient) },
    ];

    const outcome = await fireAtOnce(callers, CALLS);
    const ledger = await readLedger(owner.organizationId);
    const perMember = callers.map((caller) => outcome.served.get(caller.userId) ?? 0);
    console.info(
      `SEC-52 member budgets 3 x ${worstCase} each, org 5 x ${worstCase}: provider reached ${outcome.providerCalls} of ${CALLS}, per member ${JSON.stringify(perMember)}, charged ${chargedTokens(ledger)}`,
    );
    // The organization's cap decides the total; each member's budget decides their share.
    expect(outcome.providerCalls).toBe(5);
    expect(perMember.every((served) => served <= 3)).toBe(true);
    for (const caller of callers) {
      expect(await chargedTo(owner.organizationId, caller.userId)).toBeLessThanOrEqual(3 * worstCase);
    }
    expect(chargedTokens(ledger)).toBeLessThanOrEqual(5 * worstCase);
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0 });
    expectConsistent(ledger);
  });

  it("a member budget below one call's worst case refuses with 402 before the provider; /usage/summary shows what is left; unset lifts it", async () => {
    const org = await createAIOrganization();
    expect(
      ((await (await org.client.get("/usage/summary")).json()) as { member_budget: unknown }).member_budget,
    ).toBeNull();
    await setMemberTokenLimit(org.id, org.worstCase - 1);
    const summary = await org.client.get("/usage/summary");
    expect(((await summary.json()) as { member_budget: unknown }).member_budget).toEqual({
      limit: org.worstCase - 1,
      used: 0,
      remaining: org.worstCase - 1,
    });
    const refused = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { feature: "ai_member_token_limit" } },
    });
    expect(getFakeLLMStats().calls).toBe(0);
    expect(await readLedger(org.id)).toMatchObject({ usage_rows: 0, reserved_tokens: 0, open_reservations: 0 });

    await setMemberTokenLimit(org.id, 10 * org.worstCase);
    const served = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(served.status).toBe(200);
    expect((await readText(served)).length).toBeGreaterThan(0);
    const charged = await chargedTo(org.id, org.userId);
    expect(charged).toBeGreaterThan(0);
    const after = (await (await org.client.get("/usage/summary")).json()) as { member_budget: unknown };
    expect(after.member_budget).toEqual({
      limit: 10 * org.worstCase,
      used: charged,
      remaining: 10 * org.worstCase - charged,
    });
  });
});
