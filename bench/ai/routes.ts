// Bench-only routes for the AI ledger bench (bench/ai/ledger.mjs), registered on the bench worker
// (bench/http/worker.ts), never deployed. They take the organization and user from the query, as
// /bench/baseline takes its id: the bench measures the ledger, not the session check.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../src/env";
import { createDB } from "../../src/db/client";
import { findNote } from "../../src/features/notes/repo";
import { requireConfig, requireSubsystemConfig } from "../../src/config";
import { createLLMClient } from "../../src/features/ai/llm";
import { buildCopilotMessages } from "../../src/features/ai/copilot-service";
import { loadLedgerPolicy, reserveAITokens, settleAIReservation } from "../../src/features/ai/ledger";
import { boundInputTokens } from "../../src/features/ai/llm/types";
import { validateSessionToken } from "../../src/platform/sessions/service";
import { readSessionCookie } from "../../src/middleware/session-cookie";
import { serviceContextFrom } from "../../src/platform/service-context";

const FREE = { inputUSDPerMillion: 0, outputUSDPerMillion: 0 };

export function registerLedgerBenchRoutes(app: OpenAPIHono<AppEnv>): void {
  /** Puts the organization on an unlimited plan, so cycles never meet the cap. */
  app.post("/bench/ledger/setup", async (c) => {
    const organizationId = c.req.query("org") ?? "";
    const planId = `plan_bench_${crypto.randomUUID()}`;
    await c.env.DB.batch([
      c.env.DB.prepare(
        "INSERT INTO plan (id, name, is_default, features, created_at, updated_at) VALUES (?, 'Bench', 0, ?, 0, 0)",
      ).bind(planId, JSON.stringify({ max_notes: -1, token_limit: -1, enable_ai: true })),
      c.env.DB.prepare("UPDATE organization SET plan_id = ? WHERE id = ?").bind(planId, organizationId),
    ]);
    return c.json({ plan_id: planId }, 200);
  });

  /**
   * One ledger cycle exactly as a copilot call runs it, without the provider: the policy (plan +
   * three settings), the reservation batch, then the settlement (one batch that reads the policy
   * in SQL; before issue 17, a policy read and then the batch).
   */
  app.post("/bench/ledger/cycle", async (c) => {
    const ctx = serviceContextFrom(c);
    const organizationId = c.req.query("org") ?? "";
    const policy = await loadLedgerPolicy(ctx, organizationId);
    const reservation = await reserveAITokens(
      ctx,
      {
        organizationId,
        userId: c.req.query("user") ?? null,
        tokens: 1_100,
        provider: "fake",
        model: "fake-copilot-1",
        ttlSeconds: 600,
        ip: null,
      },
      policy,
    );
    const outcome = await settleAIReservation(
      ctx,
      reservation,
      { inputTokens: 60, outputTokens: 200 },
      { price: FREE },
    );
    return c.json({ charged: outcome.chargedTokens }, 200);
  });

  /**
   * The messages a copilot summary of this note sends and the input bound the ledger reserves for
   * them (SEC-59), so bench/mixed/traffic.mjs can run them through the real tokenizer in Node.
   */
  app.post("/bench/ai/prompt", async (c) => {
    const note = await c.req.json<{ title: string; content: string }>();
    const messages = buildCopilotMessages("summarize", note, "neutral");
    const config = requireSubsystemConfig(requireConfig(c.env), "ai");
    return c.json(
      { messages, input_bound: boundInputTokens(messages), max_output_tokens: config.maxOutputTokens },
      200,
    );
  });

  /** The write baseline: one single-statement D1 transaction on the same account row. */
  app.post("/bench/ledger/write-baseline", async (c) => {
    await c.env.DB.batch([
      c.env.DB.prepare("UPDATE ai_account SET updated_at = ? WHERE organization_id = ?").bind(
        Date.now(),
        c.req.query("org") ?? "",
      ),
    ]);
    return c.json({ ok: true }, 200);
  });

  /**
   * The copilot call without the ledger: the same session check, note lookup, prompt and fake
   * provider stream as POST /notes/{id}/copilot/summarize, and nothing reserved or settled.
   */
  app.post("/bench/copilot-unmetered", async (c) => {
    const db = createDB(c.env.DB);
    const session = await validateSessionToken(db, readSessionCookie(c) ?? "");
    if (!session) return c.json({ error: "unauthenticated" }, 401);
    const note = await findNote(db, session.user.organizationId, c.req.query("note") ?? "");
    if (!note) return c.json({ error: "not found" }, 404);
    const config = requireSubsystemConfig(requireConfig(c.env), "ai");
    const client = createLLMClient(config);
    const events = client.stream(buildCopilotMessages("summarize", note, "neutral"), {
      maxOutputTokens: config.maxOutputTokens,
    });
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>({
      async start(controller) {
        for await (const event of events) if (event.type === "text") controller.enqueue(encoder.encode(event.text));
        controller.close();
      },
    });
    return c.body(body, 200, { "Content-Type": "text/plain; charset=utf-8" });
  });
}
