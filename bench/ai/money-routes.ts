// Bench-only routes for the money bench (bench/ai/money.mjs): the reservation with and without a
// per-member budget. Registered on the bench worker (bench/http/worker.ts), never deployed.
import type { OpenAPIHono } from "@hono/zod-openapi";
import type { AppEnv } from "../../src/env";
import { loadLedgerPolicy, reserveAITokens, settleAIReservation } from "../../src/features/ai/ledger";
import { serviceContextFrom } from "../../src/platform/service-context";

const FREE = { inputUSDPerMillion: 0, outputUSDPerMillion: 0 };

export function registerMoneyBenchRoutes(app: OpenAPIHono<AppEnv>): void {
  /**
   * An unlimited plan, `history` usage rows of this member in the current calendar month (what the
   * member cap sums at each reservation), and ai_member_token_limit set (budget=1) or unset.
   */
  app.post("/bench/money/setup", async (c) => {
    const organizationId = c.req.query("org") ?? "";
    const userId = c.req.query("user") ?? "";
    const history = Number(c.req.query("history") ?? "0");
    const now = new Date();
    const monthStart = Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1);
    const planId = `plan_bench_${crypto.randomUUID()}`;
    const statements = [
      c.env.DB.prepare(
        "INSERT INTO plan (id, name, is_default, features, created_at, updated_at) VALUES (?, 'Bench', 0, ?, 0, 0)",
      ).bind(planId, JSON.stringify({ max_notes: -1, token_limit: -1, enable_ai: true })),
      c.env.DB.prepare("UPDATE organization SET plan_id = ? WHERE id = ?").bind(planId, organizationId),
      c.env.DB.prepare(
        `INSERT INTO llm_usage_log (organization_id, user_id, reservation_id, settlement_id, provider, model, bucket,
                                    tokens, input_tokens, output_tokens, cost_usd, period_start, created_at, reclaimed)
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?3)
         SELECT ?1, ?2, 'air_bench_' || ?1 || '_' || i, 'ais_bench', 'fake', 'fake-copilot-1', 'allotment',
                260, 60, 200, 0, ?4, ?4, 0 FROM n`,
      ).bind(organizationId, userId, history, monthStart),
    ];
    if (c.req.query("budget") === "1") {
      statements.push(
        c.env.DB.prepare(
          `INSERT INTO setting (scope, scope_id, key, value, updated_at, updated_by_user_id)
           VALUES ('organization', ?, 'ai_member_token_limit', ?, 0, NULL)`,
        ).bind(organizationId, JSON.stringify(1_000_000_000_000)),
      );
    }
    await c.env.DB.batch(statements);
    return c.json({ plan_id: planId }, 200);
  });

  /**
   * `n` cycles (policy, reservation, settlement) one after the other, settled as the copilot does
   * (settle=inbatch: the limits read in SQL inside the settlement's batch) or as it did before
   * issue 17 (settle=reread: the policy read again, then the batch); returns the time spent in the
   * reservation, the settlement and the whole cycle, per cycle (workerd's clock advances across I/O).
   */
  app.post("/bench/money/cycles", async (c) => {
    const ctx = serviceContextFrom(c);
    const organizationId = c.req.query("org") ?? "";
    const userId = c.req.query("user") ?? null;
    const n = Number(c.req.query("n") ?? "20");
    const isReread = c.req.query("settle") === "reread";
    let reserveMs = 0;
    let settleMs = 0;
    let cycleMs = 0;
    for (let index = 0; index < n; index++) {
      const started = performance.now();
      const policy = await loadLedgerPolicy(ctx, organizationId);
      const reserveStarted = performance.now();
      const reservation = await reserveAITokens(
        ctx,
        { organizationId, userId, tokens: 1_100, provider: "fake", model: "fake-copilot-1", ttlSeconds: 600, ip: null },
        policy,
      );
      const settleStarted = performance.now();
      reserveMs += settleStarted - reserveStarted;
      const usage = { inputTokens: 60, outputTokens: 200 };
      if (isReread) {
        await settleAIReservation(ctx, reservation, usage, {
          price: FREE,
          policy: await loadLedgerPolicy(ctx, organizationId),
        });
      } else {
        await settleAIReservation(ctx, reservation, usage, { price: FREE });
      }
      const ended = performance.now();
      settleMs += ended - settleStarted;
      cycleMs += ended - started;
    }
    return c.json(
      {
        reserve_ms: reserveMs / n,
        settle_ms: settleMs / n,
        cycle_ms: cycleMs / n,
        budget: c.req.query("budget") ?? null,
      },
      200,
    );
  });
}
