// Issue 17: /usage/fleet and /admin/stats read llm_usage_daily and llm_usage_daily_org, which the
// triggers of migrations/0018_usage_daily.sql keep. Proved here against the raw rows, summed by the
// queries the two routes ran before: after inserts (several buckets, models, organizations, days,
// absorbed and reclaimed rows), after the retention job rolls up and deletes the rows past its
// window, after an organization's rows are deleted, and with two retention runs at once.
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { RetentionConfig } from "../../../src/config/retention";
import { enforceRetention } from "../../../src/cron/retention";
import { createDB } from "../../../src/db/client";
import { readStats } from "../../../src/features/admin/repo";
import { readFleetUsage } from "../../../src/features/usage/repo";
import { DAY_MS } from "../../../src/lib/time";

const RETENTION: RetentionConfig = {
  usageLogDays: 400,
  auditLogDays: 400,
  stripeEventDays: 90,
  reservationDays: 30,
  invitationDays: 30,
  emailTokenDays: 7,
};
const db = createDB(env.DB);
const BUCKETS = ["allotment", "credits", "overage", "absorbed"] as const;

async function insertOrganization(): Promise<string> {
  const id = crypto.randomUUID();
  await env.DB.prepare("INSERT INTO organization (id, name, created_at) VALUES (?, 'Rollup', ?)")
    .bind(id, Date.now())
    .run();
  return id;
}

/** One call: a row per bucket given, sharing its reservation id, model and timestamp (as a settlement writes). */
async function insertCall(
  organizationId: string,
  createdAt: number,
  model: string,
  rows: { bucket: (typeof BUCKETS)[number]; tokens: number; costUSD: number }[],
  reclaimed = false,
) {
  const reservationId = crypto.randomUUID();
  const values = rows.map(() => "(?, NULL, ?, 's', 'fake', ?, ?, ?, ?, ?, ?, 0, ?, ?)").join(", ");
  await env.DB.prepare(
    `INSERT INTO llm_usage_log (organization_id, user_id, reservation_id, settlement_id, provider, model, bucket,
       tokens, input_tokens, output_tokens, cost_usd, period_start, created_at, reclaimed) VALUES ${values}`,
  )
    .bind(
      ...rows.flatMap((row) => [
        organizationId,
        reservationId,
        model,
        row.bucket,
        row.tokens,
        row.tokens,
        0,
        row.costUSD,
        createdAt,
        reclaimed ? 1 : 0,
      ]),
    )
    .run();
}

/** Calls over ~420 days (some past the 400-day window), in two organizations and three models. */
async function seedCalls(organizations: string[], now: number) {
  for (let i = 0; i < 60; i++) {
    const createdAt = now - (i % 3 === 0 ? 395 + (i % 25) : i % 40) * DAY_MS - (i % 7) * 3_600_000;
    const organizationId = organizations[i % organizations.length] as string;
    const model = `model-${i % 3}`;
    const bucket = BUCKETS[i % BUCKETS.length] as (typeof BUCKETS)[number];
    const rows =
      i % 4 === 1
        ? [
            { bucket: "allotment" as const, tokens: 100 + i, costUSD: 0.0013 * i },
            { bucket: "absorbed" as const, tokens: 7 + i, costUSD: 0.0001 * i },
          ]
        : [{ bucket, tokens: 10 + i, costUSD: 0.0007 * i }];
    await insertCall(organizationId, createdAt, model, rows, i % 5 === 0);
  }
}

/** What the two routes answered from the raw rows before the rollups (their queries of then). */
async function rawAnswers(since: number) {
  const day = `(created_at / ${DAY_MS}) * ${DAY_MS}`;
  const [totals, byDay, byModel, aiUsage] = await env.DB.batch([
    env.DB.prepare(
      `SELECT coalesce(sum(tokens), 0) AS tokens, coalesce(sum(cost_usd), 0) AS costUSD,
              count(DISTINCT reservation_id) AS calls, count(DISTINCT organization_id) AS organizations,
              coalesce(sum(CASE WHEN bucket = 'absorbed' THEN tokens ELSE 0 END), 0) AS absorbedTokens,
              coalesce(sum(CASE WHEN reclaimed THEN tokens ELSE 0 END), 0) AS reclaimedTokens
         FROM llm_usage_log WHERE created_at >= ?1`,
    ).bind(since),
    env.DB.prepare(
      `SELECT ${day} AS day, sum(tokens) AS tokens, sum(cost_usd) AS costUSD, count(DISTINCT reservation_id) AS calls
         FROM llm_usage_log WHERE created_at >= ?1 GROUP BY 1 ORDER BY 1`,
    ).bind(since),
    env.DB.prepare(
      `SELECT provider, model, sum(tokens) AS tokens, sum(cost_usd) AS costUSD, count(DISTINCT reservation_id) AS calls
         FROM llm_usage_log WHERE created_at >= ?1 GROUP BY provider, model ORDER BY tokens DESC, provider, model`,
    ).bind(since),
    env.DB.prepare(
      `SELECT ${day} AS day, sum(tokens) AS tokens, sum(cost_usd) AS costUSD
         FROM llm_usage_log WHERE created_at >= ?1 AND bucket <> 'absorbed' GROUP BY 1 ORDER BY 1`,
    ).bind(since),
  ]);
  return { totals: totals?.results[0], byDay: byDay?.results, byModel: byModel?.results, aiUsage: aiUsage?.results };
}

/**
 * Integers must be equal; costs are REAL sums added in another order (per row into a day, then
 * over days), so they agree to float rounding, far below the API's cent.
 */
function rounded(value: unknown): unknown {
  if (typeof value === "number" && !Number.isInteger(value)) return Math.round(value * 1e9) / 1e9;
  if (Array.isArray(value)) return value.map(rounded);
  if (value && typeof value === "object") {
    return Object.fromEntries(Object.entries(value).map(([key, entry]) => [key, rounded(entry)]));
  }
  return value;
}

async function expectRollupsMatchRaw(now: number) {
  const today = Math.floor(now / DAY_MS) * DAY_MS;
  for (const since of [today, today - 29 * DAY_MS, today - 365 * DAY_MS, today - 500 * DAY_MS]) {
    const raw = await rawAnswers(since);
    const fleet = await readFleetUsage(db, since);
    const stats = await readStats(db, since, now);
    expect(rounded(fleet), `fleet since ${since}`).toEqual(
      rounded({ totals: raw.totals, byDay: raw.byDay, byModel: raw.byModel }),
    );
    expect(rounded(stats.aiUsage), `stats since ${since}`).toEqual(rounded(raw.aiUsage));
  }
}

describe("daily usage rollups (llm_usage_daily, kept by triggers)", () => {
  it("answer the raw rows' totals after inserts, across the retention roll-up, and after an organization's rows are deleted", async () => {
    const now = Date.now();
    const organizations = [await insertOrganization(), await insertOrganization()];
    await seedCalls(organizations, now);
    await expectRollupsMatchRaw(now);

    const report = await enforceRetention(db, RETENTION, { now, batchSize: 7 });
    expect(report.usage_rows_rolled_up).toBeGreaterThan(0);
    await expectRollupsMatchRaw(now);
    // Bounded with the raw rows: no day is kept whose every row the retention job deleted.
    const stale = await env.DB.prepare("SELECT count(*) AS n FROM llm_usage_daily WHERE day_start < ?")
      .bind(Math.floor((now - 400 * DAY_MS) / DAY_MS) * DAY_MS)
      .first<{ n: number }>();
    expect(stale?.n).toBe(0);

    await env.DB.prepare("DELETE FROM llm_usage_log WHERE organization_id = ?").bind(organizations[0]).run();
    await expectRollupsMatchRaw(now);
  });

  it("stay exact when two retention runs delete the same window at once", async () => {
    const now = Date.now();
    await seedCalls([await insertOrganization()], now);
    await Promise.all([
      enforceRetention(db, RETENTION, { now, batchSize: 3, maxBatches: 100 }),
      enforceRetention(db, RETENTION, { now, batchSize: 3, maxBatches: 100 }),
    ]);
    await expectRollupsMatchRaw(now);
  });

  it("refuses a window that does not start a UTC day (the rollups' grain)", async () => {
    await expect(readFleetUsage(db, Math.floor(Date.now() / DAY_MS) * DAY_MS + 1)).rejects.toThrow(/UTC day/);
  });
});
