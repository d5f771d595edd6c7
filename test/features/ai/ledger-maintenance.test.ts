// The AI half of the maintenance job: period roll-over (lazy at reserve, and by the cron, with
// the same rule as the billing period), reconciliation of the counters with llm_usage_log (drift is
// logged and repaired), credit balance drift (reported), and the job's report over POST /cron/run.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { maintainAILedger } from "../../../src/cron/ai-ledger";
import { createDB } from "../../../src/db/client";
import { findCreditDrift } from "../../../src/features/ai/maintenance-repo";
import { calendarMonthOf, currentBillingPeriod } from "../../../src/features/plans/period";
import { DAY_MS } from "../../../src/lib/time";
import { createClient, type TestClient } from "../../helpers/client";
import { buyCredits, createAIOrganization, expectConsistent, readLedger, readText } from "../../helpers/ai";
import { testServiceContext } from "../../helpers/service-context";

const CRON_SECRET = "test-cron-secret-0123456789abcdef0123456789abcdef";

async function callCopilot(org: { client: TestClient; noteId: string }): Promise<void> {
  const response = await org.client.post(`/notes/${org.noteId}/copilot/improve`, {});
  expect(response.status).toBe(200);
  await readText(response);
}

async function accountPeriod(organizationId: string): Promise<number> {
  const row = await env.DB.prepare("SELECT period_start FROM ai_account WHERE organization_id = ?")
    .bind(organizationId)
    .first<{ period_start: number }>();
  return row!.period_start;
}

describe("AI ledger maintenance", () => {
  it("repairs counters that drifted from llm_usage_log and logs it", async () => {
    const org = await createAIOrganization();
    await callCopilot(org);
    const before = await readLedger(org.id);
    await env.DB.prepare(
      "UPDATE ai_account SET allotment_used = allotment_used + 999, reserved_tokens = 77 WHERE organization_id = ?",
    )
      .bind(org.id)
      .run();
    const report = await maintainAILedger(testServiceContext());
    expect(report.accounts_repaired).toBeGreaterThanOrEqual(1);
    const after = await readLedger(org.id);
    expect(after).toMatchObject({ allotment_used: before.allotment_used, reserved_tokens: 0 });
    expectConsistent(after);
    expect((await maintainAILedger(testServiceContext())).accounts_repaired).toBe(0);
  });

  it("checks the accounts written in the last day: an idle account's drift is repaired at its next write", async () => {
    const org = await createAIOrganization();
    await callCopilot(org);
    const before = await readLedger(org.id);
    // Drifted, and last written two days ago: outside the window the cron checks.
    await env.DB.prepare(
      "UPDATE ai_account SET allotment_used = allotment_used + 999, updated_at = ? WHERE organization_id = ?",
    )
      .bind(Date.now() - 2 * DAY_MS, org.id)
      .run();
    await maintainAILedger(testServiceContext());
    expect((await readLedger(org.id)).allotment_used).toBe(before.allotment_used + 999);
    // Any write stamps updated_at (here a reservation and its settlement), so the next run sees it.
    await callCopilot(org);
    await maintainAILedger(testServiceContext());
    expectConsistent(await readLedger(org.id));
  });

  it("reports credits charged to an organization that never had a balance or a purchase", async () => {
    const org = await createAIOrganization();
    await callCopilot(org);
    await env.DB.prepare(
      `INSERT INTO llm_usage_log (organization_id, reservation_id, settlement_id, provider, model, bucket, tokens,
         input_tokens, output_tokens, cost_usd, period_start, created_at)
       VALUES (?, ?, 's', 'fake', 'fake-copilot-1', 'credits', 40, 40, 0, 0, 0, ?)`,
    )
      .bind(org.id, crypto.randomUUID(), Date.now())
      .run();
    const drift = await findCreditDrift(createDB(env.DB), 10_000);
    expect(drift).toContainEqual({ organization_id: org.id, balance: 0, expected: -40 });
    await env.DB.prepare("DELETE FROM llm_usage_log WHERE organization_id = ? AND bucket = 'credits'")
      .bind(org.id)
      .run();
  });

  it("reports a credit balance that no longer matches purchases minus charged credits, without touching it", async () => {
    const org = await createAIOrganization({ tokenLimit: 0, credits: 10_000 });
    await callCopilot(org);
    expect((await maintainAILedger(testServiceContext())).credit_balances_drifted).toBe(0);
    await env.DB.prepare("UPDATE organization SET credit_balance_tokens = credit_balance_tokens + 5 WHERE id = ?")
      .bind(org.id)
      .run();
    const balance = (await readLedger(org.id)).credit_balance;
    expect((await maintainAILedger(testServiceContext())).credit_balances_drifted).toBe(1);
    expect((await readLedger(org.id)).credit_balance).toBe(balance);
    await env.DB.prepare("UPDATE organization SET credit_balance_tokens = credit_balance_tokens - 5 WHERE id = ?")
      .bind(org.id)
      .run();
  });

  it("rolls a finished period over lazily on the next call: the allotment is new, old usage stays logged", async () => {
    const org = await createAIOrganization();
    await env.DB.prepare("UPDATE plan SET features = ? WHERE id = (SELECT plan_id FROM organization WHERE id = ?)")
      .bind(JSON.stringify({ token_limit: org.worstCase, enable_ai: true }), org.id)
      .run();
    await callCopilot(org);
    expect((await org.client.post(`/notes/${org.noteId}/copilot/improve`, {})).status).toBe(402);
    // Pretend that usage happened last month.
    const lastMonth = calendarMonthOf(calendarMonthOf(Date.now()).start - DAY_MS).start;
    await env.DB.batch([
      env.DB.prepare("UPDATE ai_account SET period_start = ? WHERE organization_id = ?").bind(lastMonth, org.id),
      env.DB.prepare("UPDATE llm_usage_log SET period_start = ? WHERE organization_id = ?").bind(lastMonth, org.id),
    ]);
    await callCopilot(org);
    expect(await accountPeriod(org.id)).toBe(calendarMonthOf(Date.now()).start);
    const ledger = await readLedger(org.id);
    expect(ledger.usage_rows).toBe(2);
    expectConsistent(ledger);
  });

  it("rolls periods over in the cron by the same rule as the billing period (subscription period, else calendar month)", async () => {
    const now = Date.now();
    const calendar = await createAIOrganization();
    const subscribed = await createAIOrganization();
    await callCopilot(calendar);
    await callCopilot(subscribed);
    const subscription = { periodStart: now - 3 * DAY_MS, periodEnd: now + 27 * DAY_MS };
    await env.DB.batch([
      env.DB.prepare("UPDATE organization SET current_period_start = ?, current_period_end = ? WHERE id = ?").bind(
        subscription.periodStart,
        subscription.periodEnd,
        subscribed.id,
      ),
      // Both accounts, and the usage they logged, are in a period long over.
      env.DB.prepare("UPDATE ai_account SET period_start = 0 WHERE organization_id IN (?, ?)").bind(
        calendar.id,
        subscribed.id,
      ),
      env.DB.prepare("UPDATE llm_usage_log SET period_start = 0 WHERE organization_id IN (?, ?)").bind(
        calendar.id,
        subscribed.id,
      ),
    ]);
    const report = await maintainAILedger(testServiceContext(), { now });
    expect(report.periods_rolled_over).toBeGreaterThanOrEqual(2);
    expect(await accountPeriod(calendar.id)).toBe(
      currentBillingPeriod({ periodStart: null, periodEnd: null }, now).start,
    );
    expect(await accountPeriod(subscribed.id)).toBe(currentBillingPeriod(subscription, now).start);
    for (const org of [calendar, subscribed]) {
      const ledger = await readLedger(org.id);
      expect(ledger.allotment_used).toBe(0);
      expectConsistent(ledger);
    }
  });

  it("rolls an account over when its organization's subscription period started this month, after the account's period", async () => {
    const now = Date.now();
    const month = calendarMonthOf(now).start;
    const org = await createAIOrganization();
    await callCopilot(org);
    expect(await accountPeriod(org.id)).toBe(month);
    // A subscription period that began after the account's (calendar) period, still this month.
    const periodStart = month + Math.floor((now - month) / 2) + 1;
    await env.DB.prepare("UPDATE organization SET current_period_start = ?, current_period_end = ? WHERE id = ?")
      .bind(periodStart, now + 30 * DAY_MS, org.id)
      .run();
    await maintainAILedger(testServiceContext(), { now });
    expect(await accountPeriod(org.id)).toBe(periodStart);
    const ledger = await readLedger(org.id);
    expect(ledger.allotment_used).toBe(0);
  });

  it("runs from POST /cron/run and reports the AI ledger's work", async () => {
    const org = await createAIOrganization({ credits: 100 });
    await buyCredits(org.id, 1);
    const response = await createClient({ origin: null }).post("/cron/run", undefined, {
      headers: { authorization: `Bearer ${CRON_SECRET}` },
    });
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({
      ai: {
        reservations_reclaimed: expect.any(Number),
        periods_rolled_over: expect.any(Number),
        accounts_repaired: expect.any(Number),
        credit_balances_drifted: expect.any(Number),
        incomplete: false,
      },
    });
  });
});
