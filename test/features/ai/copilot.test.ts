// The copilot routes through the ledger: a call streams text/plain and is settled once; every
// refusal (403 FEATURE_DISABLED, 404, 503 MISCONFIGURED, 402 QUOTA_EXCEEDED) comes before the
// provider and before anything is reserved.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import {
  countFakeInputTokens,
  countFakeTokens,
  FAKE_REPLY_LABEL,
  getFakeLLMStats,
  resetFakeLLMStats,
} from "../../../src/features/ai/llm/fake";
import { buildCopilotMessages } from "../../../src/features/ai/copilot-service";
import { dumpDatabase } from "../../helpers/db-state";
import { auditActions } from "../../helpers/factories";
import {
  NOTE,
  chargedTokens,
  createAIOrganization,
  expectConsistent,
  readLedger,
  readText,
  withEnv,
} from "../../helpers/ai";

beforeEach(() => resetFakeLLMStats());

describe("POST /notes/{id}/copilot/improve and /summarize", () => {
  it("streams the answer as text/plain and charges exactly what the provider reported", async () => {
    const org = await createAIOrganization();
    const response = await org.client.post(`/notes/${org.noteId}/copilot/improve`, { tone: "formal" });
    expect(response.status).toBe(200);
    expect(response.headers.get("content-type")).toBe("text/plain; charset=utf-8");
    expect(response.headers.get("cache-control")).toBe("no-store");
    const text = await readText(response);
    expect(text.startsWith(FAKE_REPLY_LABEL.slice(0, 20))).toBe(true); // the cap may cut the label itself

    const ledger = await readLedger(org.id);
    expectConsistent(ledger);
    const input = countFakeInputTokens(buildCopilotMessages("improve", NOTE, "formal"));
    expect(ledger.allotment_logged).toBe(input + countFakeTokens(text));
    expect(ledger.allotment_logged).toBeLessThanOrEqual(org.worstCase);
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0, usage_rows: 1 });
    const { results } = await env.DB.prepare(
      "SELECT user_id, bucket, provider, model, cost_usd, reclaimed FROM llm_usage_log WHERE organization_id = ?",
    )
      .bind(org.id)
      .all();
    expect(results).toEqual([
      {
        user_id: org.userId,
        bucket: "allotment",
        provider: "fake",
        model: "fake-copilot-1",
        cost_usd: 0,
        reclaimed: 0,
      },
    ]);
    expect(getFakeLLMStats().calls).toBe(1);
  });

  it("streams to a browser: Content-Encoding identity, so wrangler dev does not gzip the answer into one chunk", async () => {
    const org = await createAIOrganization();
    const browser = withEnv(org.client, { AI_FAKE_CHUNK_DELAY_MS: "40" });
    for (const action of ["improve", "summarize"]) {
      const response = await browser.post(
        `/notes/${org.noteId}/copilot/${action}`,
        {},
        { headers: { "accept-encoding": "gzip, deflate, br, zstd", accept: "*/*" } },
      );
      expect(response.status, action).toBe(200);
      expect(response.headers.get("content-encoding"), action).toBe("identity");
      expect(response.headers.get("content-type"), action).toBe("text/plain; charset=utf-8");
      // The first chunk is read while the provider is still writing: the body is a stream, not a buffer.
      const reader = response.body!.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value), action).toBe("[Fake AI: set AI_PROVIDER");
      let rest = 0;
      for (let chunk = await reader.read(); !chunk.done; chunk = await reader.read()) rest++;
      expect(rest, action).toBeGreaterThan(0);
    }
    expectConsistent(await readLedger(org.id));
  });

  it("summarize works the same way, with the default tone", async () => {
    const org = await createAIOrganization();
    const response = await org.client.post(`/notes/${org.noteId}/copilot/summarize`, {});
    expect(response.status).toBe(200);
    expect((await readText(response)).length).toBeGreaterThan(0);
    expectConsistent(await readLedger(org.id));
  });

  it("charges credits once the allotment is used up, and debits them from the balance", async () => {
    const org = await createAIOrganization({ tokenLimit: 10, credits: 5_000 });
    expect((await readText(await org.client.post(`/notes/${org.noteId}/copilot/improve`, {}))).length).toBeGreaterThan(
      0,
    );
    const ledger = await readLedger(org.id);
    expectConsistent(ledger);
    expect(ledger.allotment_logged).toBe(10);
    expect(ledger.credits_logged).toBe(chargedTokens(ledger) - 10);
    expect(ledger.credit_balance).toBe(5_000 - ledger.credits_logged);
    expect(ledger.usage_rows).toBe(2);
  });

  it("SEC-52 403 FEATURE_DISABLED when the plan has enable_ai off, before anything else, and nothing changes", async () => {
    const org = await createAIOrganization({ enableAI: false });
    const before = await dumpDatabase();
    // Even for a note id that does not exist: the flag is checked first.
    for (const id of [org.noteId, crypto.randomUUID()]) {
      const response = await org.client.post(`/notes/${id}/copilot/improve`, {});
      expect(response.status).toBe(403);
      expect(await response.json()).toMatchObject({
        error: { code: "FEATURE_DISABLED", details: { feature: "enable_ai" } },
      });
    }
    expect(await dumpDatabase()).toBe(before);
    expect(getFakeLLMStats().calls).toBe(0);
  });

  it("SEC-36, SEC-52 another organization's note is 404 before anything is reserved", async () => {
    const owner = await createAIOrganization();
    const stranger = await createAIOrganization();
    const before = await dumpDatabase();
    const response = await stranger.client.post(`/notes/${owner.noteId}/copilot/improve`, {});
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ error: { code: "NOT_FOUND" } });
    expect(await dumpDatabase()).toBe(before);
    expect(getFakeLLMStats().calls).toBe(0);
  });

  it("SEC-52 a model without a price is 503 MISCONFIGURED at call time, never a free call", async () => {
    const org = await createAIOrganization();
    const client = withEnv(org.client, { AI_MODEL: "fake-unpriced" });
    const before = await dumpDatabase();
    const response = await client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(response.status).toBe(503);
    expect(await response.json()).toMatchObject({
      error: { code: "MISCONFIGURED", details: { settings: ["AI_MODEL"] } },
    });
    expect(await dumpDatabase()).toBe(before);
    expect(getFakeLLMStats().calls).toBe(0);
  });

  it("503 MISCONFIGURED names the setting when the provider is unknown or its key is missing", async () => {
    const org = await createAIOrganization();
    for (const [overrides, setting] of [
      [{ AI_PROVIDER: "gpt" }, "AI_PROVIDER"],
      [{ AI_PROVIDER: "openai", OPENAI_API_KEY: "" }, "OPENAI_API_KEY"],
      [{ AI_PROVIDER: "workers-ai" }, "AI (binding)"],
    ] as const) {
      const response = await withEnv(org.client, overrides).post(`/notes/${org.noteId}/copilot/improve`, {});
      expect(response.status).toBe(503);
      expect(await response.json()).toMatchObject({
        error: { code: "MISCONFIGURED", details: { settings: [setting] } },
      });
    }
    expect((await readLedger(org.id)).usage_rows).toBe(0);
  });

  it("SEC-49, SEC-52 a call over the cap is 402 QUOTA_EXCEEDED before the provider, and the refusal is audited", async () => {
    const org = await createAIOrganization();
    await env.DB.prepare("UPDATE plan SET features = ? WHERE id = (SELECT plan_id FROM organization WHERE id = ?)")
      .bind(JSON.stringify({ token_limit: org.worstCase - 1, enable_ai: true }), org.id)
      .run();
    const response = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { feature: "token_limit", requested_tokens: org.worstCase } },
    });
    expect(getFakeLLMStats().calls).toBe(0);
    expect(await auditActions(org.userId)).toContain("ai_cap_refused");
    const ledger = await readLedger(org.id);
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0, usage_rows: 0 });
  });

  it("is refused to readonly members (403 FORBIDDEN) and validates the tone", async () => {
    const org = await createAIOrganization();
    await env.DB.prepare(`UPDATE membership SET role = 'readonly' WHERE user_id = ?`).bind(org.userId).run();
    expect((await org.client.post(`/notes/${org.noteId}/copilot/improve`, {})).status).toBe(403);
    await env.DB.prepare(`UPDATE membership SET role = 'member' WHERE user_id = ?`).bind(org.userId).run();
    const invalid = await org.client.post(`/notes/${org.noteId}/copilot/improve`, { tone: "angry" });
    expect(invalid.status).toBe(422);
    expect(getFakeLLMStats().calls).toBe(0);
  });
});
