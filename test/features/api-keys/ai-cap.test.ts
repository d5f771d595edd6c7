// An API key's own AI token cap rides the organization's reservation (SEC-52's conditional
// UPDATE): both must hold, so concurrent calls of one key never pass its cap, and its usage rows
// name it for /usage.
import { env } from "cloudflare:test";
import { expect, it } from "vitest";
import { NOTE, readText, setPlan, withEnv, worstCaseOf } from "../../helpers/ai";
import { createKey, KeyClient } from "../../helpers/api-keys";
import { createClient } from "../../helpers/client";
import { insertUser } from "../../helpers/factories";
import { signIn } from "../../helpers/orgs";

const CALLS = 10;

it("SEC-73: a key capped at 2 calls' worst case gets 2 of 10 concurrent calls, its rows name it, and the organization's room stays the session's", async () => {
  const user = await insertUser({ role: "org_admin" });
  const admin = withEnv(await signIn(user), {});
  const worstCase = worstCaseOf();
  await setPlan(user.organizationId, { token_limit: 20 * worstCase, enable_ai: true });
  const created = await admin.post("/notes", NOTE);
  const { id: noteId } = (await created.json()) as { id: string };
  const { id: keyId, key } = await createKey(admin, { scopes: ["ai:use", "usage:read"] });
  await env.DB.prepare("UPDATE api_key SET ai_token_limit = ? WHERE id = ?")
    .bind(2 * worstCase, keyId)
    .run();

  const caller = new KeyClient(key, withEnv(createClient(), { AI_FAKE_CHUNK_DELAY_MS: "20" }));
  const responses = await Promise.all(
    Array.from({ length: CALLS }, () => caller.post(`/notes/${noteId}/copilot/improve`, {})),
  );
  const served = responses.filter((response) => response.status === 200);
  for (const response of served) expect((await readText(response)).length).toBeGreaterThan(0);
  const refused = responses.filter((response) => response.status !== 200);
  expect(served.length).toBe(2);
  for (const response of refused) {
    expect(response.status).toBe(402);
    expect(await response.json()).toMatchObject({
      error: { code: "QUOTA_EXCEEDED", details: { feature: "api_key_ai_token_limit" } },
    });
  }

  const rows = await env.DB.prepare(
    "SELECT count(DISTINCT reservation_id) AS calls, sum(tokens) AS tokens FROM llm_usage_log WHERE api_key_id = ?",
  )
    .bind(keyId)
    .first<{ calls: number; tokens: number }>();
  expect(rows?.calls).toBe(2);
  expect(rows!.tokens).toBeLessThanOrEqual(2 * worstCase);

  // The key's own usage, seen by the key and by its organization's org_admin.
  const summary = (await (await caller.get("/usage/summary")).json()) as { own_usage: { calls: number } };
  expect(summary.own_usage.calls).toBe(2);
  const byKey = (await (await admin.get("/usage/api-keys")).json()) as {
    items: { api_key_id: string; calls: number; tokens: number }[];
  };
  expect(byKey.items).toEqual([expect.objectContaining({ api_key_id: keyId, calls: 2, tokens: rows!.tokens })]);

  // The organization's cap has room left: the org_admin's own session is not held by the key's cap.
  const own = await admin.post(`/notes/${noteId}/copilot/improve`, {});
  expect(own.status).toBe(200);
  await readText(own);
});
