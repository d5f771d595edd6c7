// The ledger's arithmetic, at the service level: bucket order, the cap at settlement (usage past it
// is absorbed, never charged), other calls' reservations keep their claim, unlimited allotments,
// and a retried settlement recognizing its own earlier commit.
import { env } from "cloudflare:test";
import { describe, expect, it, vi } from "vitest";
import { createDB } from "../../../src/db/client";
import { loadLedgerPolicy, reserveAITokens, settleAIReservation } from "../../../src/features/ai/ledger";
import { AppError } from "../../../src/errors";
import {
  buyCredits,
  createAIOrganization,
  expectConsistent,
  readLedger,
  setOverage,
  setPlan,
  setSystemOverage,
} from "../../helpers/ai";
import { testServiceContext } from "../../helpers/service-context";

const FREE = { inputUSDPerMillion: 0, outputUSDPerMillion: 0 };
const PRICED = { inputUSDPerMillion: 2, outputUSDPerMillion: 8 };

async function reserve(org: { id: string; userId: string }, tokens: number) {
  const db = createDB(env.DB);
  const policy = await loadLedgerPolicy(testServiceContext({ db }), org.id);
  return reserveAITokens(
    testServiceContext({ db }),
    {
      organizationId: org.id,
      userId: org.userId,
      tokens,
      provider: "fake",
      model: "fake-copilot-1",
      ttlSeconds: 600,
      ip: null,
    },
    policy,
  );
}

describe("the AI ledger", () => {
  it("charges allotment, then credits, then overage, splitting input before output and pricing each row", async () => {
    const org = await createAIOrganization({ tokenLimit: 100, credits: 50 });
    await setOverage(org.id, { organization: true, system: true, ceiling: 1_000 });
    const reservation = await reserve(org, 300);
    const outcome = await settleAIReservation(
      testServiceContext(),
      reservation,
      { inputTokens: 120, outputTokens: 80 },
      { price: PRICED },
    );
    expect(outcome.rows).toEqual([
      { bucket: "allotment", tokens: 100, input_tokens: 100, output_tokens: 0, cost_usd: expect.closeTo(0.0002, 10) },
      { bucket: "credits", tokens: 50, input_tokens: 20, output_tokens: 30, cost_usd: expect.closeTo(0.00028, 10) },
      { bucket: "overage", tokens: 50, input_tokens: 0, output_tokens: 50, cost_usd: expect.closeTo(0.0004, 10) },
    ]);
    const ledger = await readLedger(org.id);
    expect(ledger).toMatchObject({ allotment_used: 100, overage_used: 50, credit_balance: 0, reserved_tokens: 0 });
    expectConsistent(ledger);
    await setSystemOverage(false);
  });

  it("SEC-52 never charges past the cap: usage beyond it is logged as absorbed, not charged", async () => {
    const org = await createAIOrganization({ tokenLimit: 100 });
    const reservation = await reserve(org, 100);
    // The provider used more than estimated (a tokenizer that counts differently): 250 tokens.
    const outcome = await settleAIReservation(
      testServiceContext(),
      reservation,
      { inputTokens: 150, outputTokens: 100 },
      { price: FREE },
    );
    expect(outcome).toMatchObject({ isSettled: true, chargedTokens: 100, absorbedTokens: 150 });
    const ledger = await readLedger(org.id);
    expect(ledger).toMatchObject({ allotment_used: 100, absorbed_logged: 150, reserved_tokens: 0 });
    expectConsistent(ledger);
    await expect(reserve(org, 1)).rejects.toMatchObject({ status: 402, code: "QUOTA_EXCEEDED" });
  });

  it("SEC-52 a plan or switch changed during the call applies to its settlement, read inside the settlement's batch", async () => {
    const org = await createAIOrganization({ tokenLimit: 1_000 });
    const shrunk = await reserve(org, 300);
    // The plan shrinks mid-call: the settlement charges what the new plan leaves, the rest is absorbed.
    await setPlan(org.id, { token_limit: 100, enable_ai: true });
    const first = await settleAIReservation(
      testServiceContext(),
      shrunk,
      { inputTokens: 200, outputTokens: 100 },
      { price: FREE },
    );
    expect(first).toMatchObject({ isSettled: true, chargedTokens: 100, absorbedTokens: 200 });
    // Overage switched on mid-call (both switches, a ceiling): the next settlement may charge it.
    await setPlan(org.id, { token_limit: 1_000, enable_ai: true });
    const grown = await reserve(org, 850);
    await setPlan(org.id, { token_limit: 100, enable_ai: true });
    await setOverage(org.id, { organization: true, system: true, ceiling: 500 });
    const second = await settleAIReservation(
      testServiceContext(),
      grown,
      { inputTokens: 300, outputTokens: 300 },
      { price: FREE },
    );
    expect(second.rows.map((row) => [row.bucket, row.tokens])).toEqual([
      ["overage", 500],
      ["absorbed", 100],
    ]);
    const ledger = await readLedger(org.id);
    expect(ledger).toMatchObject({ allotment_used: 100, overage_used: 500, reserved_tokens: 0 });
    expectConsistent(ledger);
    await setSystemOverage(false);
  });

  it("SEC-59 a provider reporting more than was reserved raises an alert, not only an absorbed row", async () => {
    const org = await createAIOrganization({ tokenLimit: 1_000 });
    const reservation = await reserve(org, 100);
    const errors: string[] = [];
    const spy = vi.spyOn(console, "error").mockImplementation((line: unknown) => void errors.push(String(line)));
    try {
      await settleAIReservation(
        testServiceContext(),
        reservation,
        { inputTokens: 90, outputTokens: 40 },
        { price: FREE },
      );
    } finally {
      spy.mockRestore();
    }
    const alerts = errors
      .map((line) => JSON.parse(line) as Record<string, unknown>)
      .filter((event) => event.event === "ai_usage_exceeded_reservation");
    expect(alerts).toEqual([
      expect.objectContaining({
        level: "error",
        reservation_id: reservation.id,
        organization_id: org.id,
        reserved_tokens: 100,
        reported_tokens: 130,
        excess_tokens: 30,
      }),
    ]);
    // Within the reservation: no alert.
    const second = await reserve(org, 100);
    const quiet = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      await settleAIReservation(testServiceContext(), second, { inputTokens: 60, outputTokens: 40 }, { price: FREE });
      expect(quiet).not.toHaveBeenCalled();
    } finally {
      quiet.mockRestore();
    }
  });

  it("SEC-52 a call that used more than it reserved cannot take what other calls in flight have reserved", async () => {
    const org = await createAIOrganization({ tokenLimit: 1_000 });
    const first = await reserve(org, 400);
    const second = await reserve(org, 400);
    // 200 tokens are free besides the two reservations: the first call may use its 400 + those 200.
    const outcome = await settleAIReservation(
      testServiceContext(),
      first,
      { inputTokens: 500, outputTokens: 500 },
      { price: FREE },
    );
    expect(outcome).toMatchObject({ chargedTokens: 600, absorbedTokens: 400 });
    // The second still gets all it reserved.
    const secondOutcome = await settleAIReservation(
      testServiceContext(),
      second,
      { inputTokens: 0, outputTokens: 400 },
      { price: FREE },
    );
    expect(secondOutcome).toMatchObject({ chargedTokens: 400, absorbedTokens: 0 });
    const ledger = await readLedger(org.id);
    expect(ledger.allotment_used).toBe(1_000);
    expectConsistent(ledger);
  });

  it("an unlimited allotment (-1) charges everything to the allotment and never refuses", async () => {
    const org = await createAIOrganization({ tokenLimit: -1, credits: 10 });
    const reservation = await reserve(org, 5_000_000);
    const outcome = await settleAIReservation(
      testServiceContext(),
      reservation,
      { inputTokens: 3_000_000, outputTokens: 1 },
      { price: FREE },
    );
    expect(outcome.rows.map((row) => [row.bucket, row.tokens])).toEqual([["allotment", 3_000_001]]);
    expect((await readLedger(org.id)).credit_balance).toBe(10);
  });

  it("settles once: a second settlement of the same reservation is refused, a retry under the same settlement id recognizes its commit", async () => {
    const org = await createAIOrganization();
    const db = createDB(env.DB);
    const reservation = await reserve(org, 200);
    const first = await settleAIReservation(
      testServiceContext({ db }),
      reservation,
      { inputTokens: 10, outputTokens: 10 },
      { price: FREE, settlementId: "ais_retry" },
    );
    const retry = await settleAIReservation(
      testServiceContext({ db }),
      reservation,
      { inputTokens: 10, outputTokens: 10 },
      { price: FREE, settlementId: "ais_retry" },
    );
    const other = await settleAIReservation(
      testServiceContext({ db }),
      reservation,
      { inputTokens: 10, outputTokens: 10 },
      { price: FREE },
    );
    expect([first.isSettled, retry.isSettled, other.isSettled]).toEqual([true, true, false]);
    const ledger = await readLedger(org.id);
    expect(ledger).toMatchObject({ allotment_used: 20, usage_rows: 1 });
    expectConsistent(ledger);
  });

  it("refuses a reservation that only negative credits would fit, and counts a negative balance as none", async () => {
    const org = await createAIOrganization({ tokenLimit: 0 });
    await buyCredits(org.id, -500);
    const error = await reserve(org, 1).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AppError);
    expect(error).toMatchObject({ status: 402 });
  });
});
