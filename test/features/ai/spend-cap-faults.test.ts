// SEC-52 under faults: provider error before any output (released in full), provider error
// mid-stream and client abort mid-stream (no usage from the provider: the reserved worst case is
// charged, SEC-59), a settlement that fails
// once (the retry charges once) or always (the cron reclaims the estimate), and the cron reclaim
// racing a late settlement (charged once). After each: counters == sums of llm_usage_log.
import { env } from "cloudflare:test";
import { beforeEach, describe, expect, it } from "vitest";
import { createDB } from "../../../src/db/client";
import { maintainAILedger } from "../../../src/cron/ai-ledger";
import {
  countFakeInputTokens,
  countFakeTokens,
  fakeReply,
  getFakeLLMStats,
  resetFakeLLMStats,
} from "../../../src/features/ai/llm/fake";
import { buildCopilotMessages } from "../../../src/features/ai/copilot-service";
import { loadLedgerPolicy, reserveAITokens, settleAIReservation } from "../../../src/features/ai/ledger";
import type { Env } from "../../../src/env";
import { MINUTE_MS } from "../../../src/lib/time";
import {
  NOTE,
  chargedTokens,
  createAIOrganization,
  expectConsistent,
  readLedger,
  readText,
  withEnv,
} from "../../helpers/ai";
import { testServiceContext } from "../../helpers/service-context";

beforeEach(() => resetFakeLLMStats());

/** The input tokens the fake provider reports for the improve prompt. */
const INPUT = countFakeInputTokens(buildCopilotMessages("improve", NOTE, "neutral"));
/** The fake streams 4 words per chunk, from the note's text. */
function fakeChunks(count: number): string {
  const words = fakeReply(buildCopilotMessages("improve", NOTE, "neutral"), 400);
  return words.slice(0, 4 * count).join(" ");
}

/**
 * The test D1 binding, except that settlement batches (the ones that write llm_usage_log) fail
 * `failures` times, as a D1 outage during settlement would.
 */
function d1FailingSettlements(
  failures: number,
  options: { afterCommit?: boolean } = {},
): { binding: D1Database; failed: () => number } {
  const real = env.DB;
  const sqlOf = new WeakMap<object, string>();
  let failed = 0;
  const binding = new Proxy(real, {
    get(target, property) {
      if (property === "prepare") {
        return (query: string) => {
          const statement = target.prepare(query);
          const bind = statement.bind.bind(statement);
          statement.bind = (...values: unknown[]) => {
            const bound = bind(...values);
            sqlOf.set(bound, query);
            return bound;
          };
          sqlOf.set(statement, query);
          return statement;
        };
      }
      if (property === "batch") {
        return async (statements: D1PreparedStatement[]) => {
          const isSettlement = statements.some((statement) =>
            sqlOf.get(statement)?.includes("INSERT INTO llm_usage_log"),
          );
          if (isSettlement && failed < failures) {
            failed++;
            // afterCommit: the batch commits, but its answer never arrives (a network error).
            if (options.afterCommit) await target.batch(statements);
            throw new Error("D1_ERROR: injected failure during settlement");
          }
          return target.batch(statements);
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === "function" ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
  return { binding, failed: () => failed };
}

describe("SEC-52 faults", () => {
  it("SEC-52 provider error before any output: 502 UPSTREAM_UNAVAILABLE as JSON, the reservation released in full, nothing charged", async () => {
    const org = await createAIOrganization();
    const response = await withEnv(org.client, { AI_FAKE_FAIL_AFTER_CHUNKS: "0" }).post(
      `/notes/${org.noteId}/copilot/improve`,
      {},
    );
    expect(response.status).toBe(502);
    expect(await response.json()).toMatchObject({ error: { code: "UPSTREAM_UNAVAILABLE" } });
    expect(getFakeLLMStats().calls).toBe(1);
    const ledger = await readLedger(org.id);
    console.info(
      `SEC-52 fault, provider error before output: charged ${chargedTokens(ledger)}, reserved after ${ledger.reserved_tokens}, usage rows ${ledger.usage_rows}`,
    );
    expect(ledger).toMatchObject({ allotment_used: 0, reserved_tokens: 0, open_reservations: 0, usage_rows: 0 });
    const settled = await env.DB.prepare(
      "SELECT count(*) AS n FROM ai_reservation WHERE organization_id = ? AND settled_at IS NOT NULL",
    )
      .bind(org.id)
      .first<{ n: number }>();
    expect(settled!.n).toBe(1);
    expectConsistent(ledger);
  });

  it("SEC-52 SEC-59 provider error mid-stream: the body breaks off and, without the provider's usage, the reserved worst case is charged", async () => {
    const org = await createAIOrganization();
    const response = await withEnv(org.client, { AI_FAKE_FAIL_AFTER_CHUNKS: "2" }).post(
      `/notes/${org.noteId}/copilot/improve`,
      {},
    );
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    let received = "";
    const decoder = new TextDecoder();
    await expect(
      (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          received += decoder.decode(value, { stream: true });
        }
      })(),
    ).rejects.toThrow();
    expect(received).toBe(fakeChunks(2));
    const ledger = await readLedger(org.id);
    // The provider may have generated (and bill) more than we received: only the worst case is sound.
    const expected = org.worstCase;
    console.info(
      `SEC-52 fault, provider error mid-stream after 2 chunks: charged ${chargedTokens(ledger)} (expected ${expected}), reserved after ${ledger.reserved_tokens}`,
    );
    expect(chargedTokens(ledger)).toBe(expected);
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0, usage_rows: 1 });
    expectConsistent(ledger);
  });

  it("SEC-52 SEC-59 client abort mid-stream: the provider is stopped and, without its usage, the reserved worst case is charged", async () => {
    const org = await createAIOrganization();
    const response = await withEnv(org.client, { AI_FAKE_CHUNK_DELAY_MS: "30" }).post(
      `/notes/${org.noteId}/copilot/improve`,
      {},
    );
    expect(response.status).toBe(200);
    const reader = response.body!.getReader();
    const first = await reader.read();
    expect(new TextDecoder().decode(first.value)).toBe(fakeChunks(1));
    await reader.cancel("the user closed the tab");
    const ledger = await readLedger(org.id);
    const expected = org.worstCase;
    console.info(
      `SEC-52 fault, client abort after 1 chunk: charged ${chargedTokens(ledger)} (expected ${expected}), reserved after ${ledger.reserved_tokens}`,
    );
    expect(chargedTokens(ledger)).toBe(expected);
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0, usage_rows: 1 });
    expectConsistent(ledger);
    // The provider's stream was closed, not left running.
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(getFakeLLMStats()).toMatchObject({ calls: 1, inFlight: 0 });
  });

  it("SEC-52 a settlement that fails once is retried and charged exactly once", async () => {
    const org = await createAIOrganization();
    const faulty = d1FailingSettlements(1);
    const client = withEnv(org.client, { DB: faulty.binding } as Partial<Env>);
    const text = await readText(await client.post(`/notes/${org.noteId}/copilot/improve`, {}));
    expect(faulty.failed()).toBe(1);
    const ledger = await readLedger(org.id);
    console.info(
      `SEC-52 fault, settlement failed once: retried, charged ${chargedTokens(ledger)} once, usage rows ${ledger.usage_rows}`,
    );
    expect(chargedTokens(ledger)).toBe(INPUT + countFakeTokens(text));
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0, usage_rows: 1 });
    expectConsistent(ledger);
  });

  it("SEC-52 a settlement that committed but whose answer was lost is retried without charging twice", async () => {
    const org = await createAIOrganization();
    const faulty = d1FailingSettlements(1, { afterCommit: true });
    const client = withEnv(org.client, { DB: faulty.binding } as Partial<Env>);
    const text = await readText(await client.post(`/notes/${org.noteId}/copilot/improve`, {}));
    expect(faulty.failed()).toBe(1);
    const ledger = await readLedger(org.id);
    console.info(
      `SEC-52 fault, settlement committed but its answer lost: retried, charged ${chargedTokens(ledger)} once, usage rows ${ledger.usage_rows}`,
    );
    expect(chargedTokens(ledger)).toBe(INPUT + countFakeTokens(text));
    expect(ledger).toMatchObject({ reserved_tokens: 0, open_reservations: 0, usage_rows: 1 });
    expectConsistent(ledger);
  });

  it("SEC-52 a settlement that keeps failing leaves the reservation to the cron, which reclaims the reserved estimate once it expires", async () => {
    const org = await createAIOrganization();
    const faulty = d1FailingSettlements(Infinity);
    const client = withEnv(org.client, { DB: faulty.binding } as Partial<Env>);
    await readText(await client.post(`/notes/${org.noteId}/copilot/improve`, {}));
    expect(faulty.failed()).toBe(3);
    const open = await readLedger(org.id);
    expect(open).toMatchObject({ reserved_tokens: org.worstCase, open_reservations: 1, usage_rows: 0 });
    expectConsistent(open);

    const db = createDB(env.DB);
    const early = await maintainAILedger(testServiceContext({ db }), { now: Date.now() });
    expect(early.reservations_reclaimed).toBe(0);
    const report = await maintainAILedger(testServiceContext({ db }), { now: Date.now() + 11 * MINUTE_MS });
    const ledger = await readLedger(org.id);
    console.info(
      `SEC-52 fault, settlement always failing: cron reclaimed ${report.reservations_reclaimed} reservation(s), ${report.tokens_reclaimed} tokens (the estimate ${org.worstCase})`,
    );
    expect(report).toMatchObject({ reservations_reclaimed: 1, tokens_reclaimed: org.worstCase, accounts_repaired: 0 });
    expect(ledger).toMatchObject({ allotment_used: org.worstCase, reserved_tokens: 0, open_reservations: 0 });
    const { results } = await env.DB.prepare("SELECT reclaimed, tokens FROM llm_usage_log WHERE organization_id = ?")
      .bind(org.id)
      .all();
    expect(results).toEqual([{ reclaimed: 1, tokens: org.worstCase }]);
    expectConsistent(ledger);
  });

  it("SEC-52 the cron reclaim racing a late settlement charges once, whichever wins (24 races)", async () => {
    const org = await createAIOrganization({ tokenLimit: 10_000_000 });
    const db = createDB(env.DB);
    const price = { inputUSDPerMillion: 0, outputUSDPerMillion: 0 };
    const wins = { reclaim: 0, settlement: 0 };
    for (let race = 0; race < 24; race++) {
      const policy = await loadLedgerPolicy(testServiceContext({ db }), org.id);
      const reservation = await reserveAITokens(
        testServiceContext({ db }),
        {
          organizationId: org.id,
          userId: org.userId,
          tokens: 500,
          provider: "fake",
          model: "fake-copilot-1",
          ttlSeconds: 60,
          ip: null,
        },
        policy,
      );
      const later = reservation.expiresAt + 1;
      // The late settlement starts with the reclaim, or one timer tick after it, so each side wins
      // some races; both are in flight together, and only the CAS decides.
      const late = async () => {
        if (race % 2 === 1) await new Promise((resolve) => setTimeout(resolve, 0));
        return settleAIReservation(
          testServiceContext({ db }),
          reservation,
          { inputTokens: 100, outputTokens: 20 },
          { price, now: later },
        );
      };
      const [report, settlement] = await Promise.all([
        maintainAILedger(testServiceContext({ db }), { now: later }),
        late(),
      ]);
      expect(report.reservations_reclaimed + (settlement.isSettled ? 1 : 0)).toBe(1);
      if (settlement.isSettled) wins.settlement++;
      else wins.reclaim++;
      const rows = await env.DB.prepare(
        "SELECT count(*) AS n, sum(tokens) AS tokens, max(reclaimed) AS reclaimed FROM llm_usage_log WHERE reservation_id = ?",
      )
        .bind(reservation.id)
        .first<{ n: number; tokens: number; reclaimed: number }>();
      expect(rows).toEqual(
        settlement.isSettled ? { n: 1, tokens: 120, reclaimed: 0 } : { n: 1, tokens: 500, reclaimed: 1 },
      );
      expectConsistent(await readLedger(org.id));
    }
    console.info(
      `SEC-52 fault, cron reclaim vs late settlement: 24 races, reclaim won ${wins.reclaim}, late settlement won ${wins.settlement}, each reservation charged once`,
    );
    expect(wins.reclaim + wins.settlement).toBe(24);
  });

  it("SEC-52 a settlement that arrives after the cron reclaimed its reservation changes nothing", async () => {
    const org = await createAIOrganization({ tokenLimit: 10_000_000 });
    const db = createDB(env.DB);
    const policy = await loadLedgerPolicy(testServiceContext({ db }), org.id);
    const reservation = await reserveAITokens(
      testServiceContext({ db }),
      {
        organizationId: org.id,
        userId: org.userId,
        tokens: 300,
        provider: "fake",
        model: "fake-copilot-1",
        ttlSeconds: 60,
        ip: null,
      },
      policy,
    );
    const later = reservation.expiresAt + 1;
    expect((await maintainAILedger(testServiceContext({ db }), { now: later })).reservations_reclaimed).toBe(1);
    const before = await readLedger(org.id);
    const late = await settleAIReservation(
      testServiceContext({ db }),
      reservation,
      { inputTokens: 10, outputTokens: 10 },
      { price: { inputUSDPerMillion: 0, outputUSDPerMillion: 0 } },
    );
    expect(late).toMatchObject({ isSettled: false, rows: [], chargedTokens: 0 });
    expect(await readLedger(org.id)).toEqual(before);
    expect(before).toMatchObject({ allotment_used: 300, reserved_tokens: 0 });
    expectConsistent(before);
  });
});
