// Issue 17, bounded growth: each table keeps its rows for its configured window, the maintenance
// job deletes older ones in bounded batches, and llm_usage_log is rolled up into monthly rows in
// the same D1 batch as its delete, so the usage and stats routes answer the same totals after.
import { env } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { type RetentionConfig, readRetentionConfig } from "../../src/config/retention";
import { enforceRetention } from "../../src/cron/retention";
import { createDB } from "../../src/db/client";
import { findCreditDrift } from "../../src/features/ai/maintenance-repo";
import { calendarMonthOf } from "../../src/features/plans/period";
import { DAY_MS } from "../../src/lib/time";
import { createClient } from "../helpers/client";
import { countRows, insertUser } from "../helpers/factories";
import { createSysAdmin, type Member, signIn } from "../helpers/orgs";
import type { TestClient } from "../helpers/client";

const DEFAULTS: RetentionConfig = {
  usageLogDays: 400,
  auditLogDays: 400,
  stripeEventDays: 90,
  reservationDays: 30,
  invitationDays: 30,
  emailTokenDays: 7,
};

const db = createDB(env.DB);
let sysAdmin: Member;

beforeAll(async () => {
  sysAdmin = await createSysAdmin();
});

interface UsageRow {
  organizationId: string;
  userId: string | null;
  bucket: "allotment" | "credits" | "overage" | "absorbed";
  tokens: number;
  costUSD: number;
  createdAt: number;
  model?: string;
  reclaimed?: boolean;
}

/** One settled call: a row per bucket, all with the call's reservation id and timestamp. */
async function insertCall(rows: UsageRow[]): Promise<void> {
  const reservationId = crypto.randomUUID();
  await env.DB.batch(
    rows.map((row) =>
      env.DB.prepare(
        `INSERT INTO llm_usage_log (organization_id, user_id, reservation_id, settlement_id, provider, model, bucket,
           tokens, input_tokens, output_tokens, cost_usd, period_start, created_at, reclaimed)
         VALUES (?, ?, ?, 'settlement', 'fake', ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).bind(
        row.organizationId,
        row.userId,
        reservationId,
        row.model ?? "fake-copilot-1",
        row.bucket,
        row.tokens,
        Math.floor(row.tokens / 2),
        row.tokens - Math.floor(row.tokens / 2),
        row.costUSD,
        calendarMonthOf(row.createdAt).start,
        row.createdAt,
        row.reclaimed ? 1 : 0,
      ),
    ),
  );
}

interface Totals {
  tokens: number;
  input: number;
  output: number;
  cost: number;
  absorbed: number;
  credits: number;
  reclaimed: number;
  calls: number;
}

/** The organization's usage, raw rows and monthly rollups added together. */
async function usageTotals(organizationId: string): Promise<{ raw: Totals; rolledUp: Totals }> {
  const raw = await env.DB.prepare(
    `SELECT coalesce(sum(tokens), 0) AS tokens, coalesce(sum(input_tokens), 0) AS input,
            coalesce(sum(output_tokens), 0) AS output, coalesce(sum(cost_usd), 0) AS cost,
            coalesce(sum(CASE WHEN bucket = 'absorbed' THEN tokens END), 0) AS absorbed,
            coalesce(sum(CASE WHEN bucket = 'credits' THEN tokens END), 0) AS credits,
            coalesce(sum(CASE WHEN reclaimed THEN tokens END), 0) AS reclaimed,
            count(DISTINCT reservation_id) AS calls
       FROM llm_usage_log WHERE organization_id = ?`,
  )
    .bind(organizationId)
    .first<Totals>();
  const rolledUp = await env.DB.prepare(
    `SELECT coalesce(sum(tokens), 0) AS tokens, coalesce(sum(input_tokens), 0) AS input,
            coalesce(sum(output_tokens), 0) AS output, coalesce(sum(cost_usd), 0) AS cost,
            coalesce(sum(absorbed_tokens), 0) AS absorbed, coalesce(sum(credits_tokens), 0) AS credits,
            coalesce(sum(reclaimed_tokens), 0) AS reclaimed, coalesce(sum(calls), 0) AS calls
       FROM llm_usage_monthly WHERE organization_id = ?`,
  )
    .bind(organizationId)
    .first<Totals>();
  if (!raw || !rolledUp) throw new Error("aggregate returned no row");
  return { raw, rolledUp };
}

function addTotals(a: Totals, b: Totals): Totals {
  return {
    tokens: a.tokens + b.tokens,
    input: a.input + b.input,
    output: a.output + b.output,
    cost: Math.round((a.cost + b.cost) * 1e9) / 1e9,
    absorbed: a.absorbed + b.absorbed,
    credits: a.credits + b.credits,
    reclaimed: a.reclaimed + b.reclaimed,
    calls: a.calls + b.calls,
  };
}

const combined = async (organizationId: string) => {
  const { raw, rolledUp } = await usageTotals(organizationId);
  return addTotals(raw, rolledUp);
};

async function readJSON(client: TestClient, path: string): Promise<unknown> {
  const response = await client.get(path);
  expect(response.status).toBe(200);
  return response.json();
}

/** Old calls across two months, several buckets, members and models, and recent ones. */
async function seedOrganizationUsage(organizationId: string, userIds: string[], now: number, oldCalls: number) {
  for (let i = 0; i < oldCalls; i++) {
    const createdAt = now - (401 + (i % 60)) * DAY_MS - i * 1000;
    const base = { organizationId, userId: userIds[i % userIds.length] ?? null, createdAt, model: `m${i % 2}` };
    await insertCall(
      i % 3 === 0
        ? [
            { ...base, bucket: "allotment", tokens: 100 + i, costUSD: 0.001 },
            { ...base, bucket: "credits", tokens: 50, costUSD: 0.0005 },
            { ...base, bucket: "absorbed", tokens: 7, costUSD: 0 },
          ]
        : [{ ...base, bucket: "allotment", tokens: 10 + i, costUSD: 0.0001, reclaimed: i % 5 === 0 }],
    );
  }
  // A call without a user (its member was deleted) rolls up under ''.
  await insertCall([
    { organizationId, userId: null, bucket: "overage", tokens: 33, costUSD: 0.003, createdAt: now - 500 * DAY_MS },
  ]);
  for (const [i, userId] of userIds.entries()) {
    await insertCall([
      { organizationId, userId, bucket: "allotment", tokens: 40 + i, costUSD: 0.0004, createdAt: now - 1000 },
    ]);
    await insertCall([
      { organizationId, userId, bucket: "credits", tokens: 5, costUSD: 0.0001, createdAt: now - 300 * DAY_MS },
    ]);
  }
}

describe("retention of llm_usage_log", () => {
  it("rolls up and prunes raw rows past the window; /usage/* and /admin/stats answer the same totals after", async () => {
    const now = Date.now();
    const admin = await insertUser({ role: "org_admin" });
    const adminClient = await signIn(admin);
    await seedOrganizationUsage(admin.organizationId, [admin.id], now, 25);
    const routes = [
      [adminClient, "/usage/summary"],
      [adminClient, "/usage/top-users"],
      [sysAdmin.client, "/usage/fleet?days=365"],
      [sysAdmin.client, "/admin/stats?days=365"],
    ] as const;
    const before = await Promise.all(routes.map(([client, path]) => readJSON(client, path)));
    const totalsBefore = await combined(admin.organizationId);
    expect((before[0] as { own_usage: { tokens: number } }).own_usage.tokens).toBeGreaterThan(0);

    const report = await enforceRetention(db, DEFAULTS, { now });

    expect(report.usage_rows_rolled_up).toBe(9 * 3 + 16 + 1);
    expect(report.incomplete).toBe(false);
    expect(
      await countRows(
        "llm_usage_log",
        "organization_id = ? AND created_at < ?",
        admin.organizationId,
        now - 400 * DAY_MS,
      ),
    ).toBe(0);
    expect(await countRows("llm_usage_log", "organization_id = ?", admin.organizationId)).toBe(2);
    const after = await Promise.all(routes.map(([client, path]) => readJSON(client, path)));
    expect(after).toEqual(before);
    expect(await combined(admin.organizationId)).toEqual(totalsBefore);
    // Rolled up per month, member and model: the null user under ''.
    expect(
      await countRows(
        "llm_usage_monthly",
        "organization_id = ? AND user_id = '' AND tokens = 33",
        admin.organizationId,
      ),
    ).toBe(1);
  });

  it("two maintenance runs at once neither lose nor double-count a row, even in small batches", async () => {
    const now = Date.now();
    const user = await insertUser();
    await seedOrganizationUsage(user.organizationId, [user.id, crypto.randomUUID()], now, 40);
    const totalsBefore = await combined(user.organizationId);
    const options = { now, batchSize: 4, maxBatches: 100 };
    const [first, second] = await Promise.all([
      enforceRetention(db, DEFAULTS, options),
      enforceRetention(db, DEFAULTS, options),
    ]);
    expect(first.usage_rows_rolled_up + second.usage_rows_rolled_up).toBe(14 * 3 + 26 + 1);
    expect(await combined(user.organizationId)).toEqual(totalsBefore);
    const { rolledUp } = await usageTotals(user.organizationId);
    expect(rolledUp.calls).toBe(41);
  });

  it("a run that has rolled up part of the old rows leaves the rest for the next, totals intact between", async () => {
    const now = Date.now();
    const user = await insertUser();
    await seedOrganizationUsage(user.organizationId, [user.id], now, 12);
    const totalsBefore = await combined(user.organizationId);
    const partial = await enforceRetention(db, DEFAULTS, { now, batchSize: 2, maxBatches: 2 });
    expect(partial.incomplete).toBe(true);
    expect(await combined(user.organizationId)).toEqual(totalsBefore);
    expect(
      await countRows(
        "llm_usage_log",
        "organization_id = ? AND created_at < ?",
        user.organizationId,
        now - 400 * DAY_MS,
      ),
    ).toBeGreaterThan(0);
    const rest = await enforceRetention(db, DEFAULTS, { now });
    expect(rest.incomplete).toBe(false);
    expect(
      await countRows(
        "llm_usage_log",
        "organization_id = ? AND created_at < ?",
        user.organizationId,
        now - 400 * DAY_MS,
      ),
    ).toBe(0);
    expect(await combined(user.organizationId)).toEqual(totalsBefore);
  });

  it("the credit-balance reconciliation counts credits of pruned rows through their rollup", async () => {
    const now = Date.now();
    const user = await insertUser();
    await env.DB.prepare(
      "INSERT INTO ai_account (organization_id, period_start, allotment_used, overage_used, reserved_tokens, updated_at) VALUES (?, ?, 0, 0, 0, ?)",
    )
      .bind(user.organizationId, calendarMonthOf(now).start, now)
      .run();
    await env.DB.batch([
      env.DB.prepare(
        "INSERT INTO organization_credit_transaction (id, organization_id, tokens, kind, created_at) VALUES (?, ?, 1000, 'purchase', ?)",
      ).bind(crypto.randomUUID(), user.organizationId, now - 500 * DAY_MS),
      env.DB.prepare("UPDATE organization SET credit_balance_tokens = 900 WHERE id = ?").bind(user.organizationId),
    ]);
    await insertCall([
      {
        organizationId: user.organizationId,
        userId: user.id,
        bucket: "credits",
        tokens: 100,
        costUSD: 0.01,
        createdAt: now - 450 * DAY_MS,
      },
    ]);
    const drifted = async () =>
      (await findCreditDrift(db, 10_000)).some((d) => d.organization_id === user.organizationId);
    expect(await drifted()).toBe(false);
    await enforceRetention(db, DEFAULTS, { now });
    expect(await countRows("llm_usage_log", "organization_id = ?", user.organizationId)).toBe(0);
    expect(await drifted()).toBe(false);
  });
});

describe("retention of the other growing tables", () => {
  const at = (now: number, days: number, deltaMs: number) => now - days * DAY_MS + deltaMs;

  it("each table honours its own window: rows just past it go, rows just inside stay", async () => {
    const now = Date.now();
    const config: RetentionConfig = {
      usageLogDays: 500,
      auditLogDays: 41,
      stripeEventDays: 42,
      reservationDays: 43,
      invitationDays: 44,
      emailTokenDays: 45,
    };
    const user = await insertUser();
    const tag = crypto.randomUUID();
    const audit = (createdAt: number) =>
      env.DB.prepare(
        "INSERT INTO audit_log (organization_id, action, target, created_at) VALUES (?, 'test', ?, ?)",
      ).bind(user.organizationId, tag, createdAt);
    const stripeEvent = (createdAt: number) =>
      env.DB.prepare("INSERT INTO stripe_event (id, type, processed_at) VALUES (?, ?, ?)").bind(
        `evt_${crypto.randomUUID()}`,
        tag,
        createdAt,
      );
    const reservation = (settledAt: number | null, createdAt: number) =>
      env.DB.prepare(
        `INSERT INTO ai_reservation (id, organization_id, user_id, tokens, provider, model, created_at, expires_at, settled_at, settlement_id)
         VALUES (?, ?, ?, 10, 'fake', 'fake-copilot-1', ?, ?, ?, ?)`,
      ).bind(
        crypto.randomUUID(),
        user.organizationId,
        user.id,
        createdAt,
        createdAt + 600_000,
        settledAt,
        settledAt && "s",
      );
    const invitation = (expiresAt: number, acceptedAt: number | null) =>
      env.DB.prepare(
        `INSERT INTO invitation (id, organization_id, email, role, token_hash, created_at, expires_at, accepted_at)
         VALUES (?, ?, ?, 'member', ?, ?, ?, ?)`,
      ).bind(
        crypto.randomUUID(),
        user.organizationId,
        `${tag}@x.test`,
        crypto.randomUUID(),
        expiresAt - DAY_MS,
        expiresAt,
        acceptedAt,
      );
    const emailToken = (expiresAt: number, usedAt: number | null) =>
      env.DB.prepare(
        `INSERT INTO email_token (id, token_hash, user_id, purpose, created_at, expires_at, used_at)
         VALUES (?, ?, ?, 'verify_email', ?, ?, ?)`,
      ).bind(crypto.randomUUID(), crypto.randomUUID(), user.id, expiresAt - DAY_MS, expiresAt, usedAt);
    const past = (days: number) => at(now, days, -60_000);
    const inside = (days: number) => at(now, days, 60_000);
    await env.DB.batch([
      audit(past(41)),
      audit(inside(41)),
      stripeEvent(past(42)),
      stripeEvent(inside(42)),
      reservation(past(43), past(44)),
      reservation(inside(43), past(44)),
      // Open, however old: only the reclaim may settle it, never retention (SEC-52).
      reservation(null, past(400)),
      invitation(past(44), null),
      invitation(past(44), past(45)), // accepted long ago
      invitation(inside(44), null),
      emailToken(past(45), null),
      emailToken(now + DAY_MS, past(45)), // used past the window, even though not yet expired
      emailToken(inside(45), null),
    ]);

    const report = await enforceRetention(db, config, { now });

    expect(report).toMatchObject({
      audit_rows_deleted: 1,
      stripe_events_deleted: 1,
      reservations_deleted: 1,
      invitations_deleted: 2,
      email_tokens_deleted: 2,
      incomplete: false,
    });
    expect(await countRows("audit_log", "target = ?", tag)).toBe(1);
    expect(await countRows("stripe_event", "type = ?", tag)).toBe(1);
    expect(await countRows("ai_reservation", "organization_id = ?", user.organizationId)).toBe(2);
    expect(await countRows("ai_reservation", "organization_id = ? AND settled_at IS NULL", user.organizationId)).toBe(
      1,
    );
    expect(await countRows("invitation", "organization_id = ?", user.organizationId)).toBe(1);
    expect(await countRows("email_token", "user_id = ?", user.id)).toBe(1);
  });

  it("a bounded run deletes at most batchSize × maxBatches rows of a table and leaves the rest for the next", async () => {
    const now = Date.now();
    const tag = crypto.randomUUID();
    await env.DB.batch(
      Array.from({ length: 13 }, (_, i) =>
        env.DB.prepare("INSERT INTO audit_log (action, target, created_at) VALUES ('test', ?, ?)").bind(
          tag,
          now - 500 * DAY_MS + i,
        ),
      ),
    );
    const first = await enforceRetention(db, DEFAULTS, { now, batchSize: 5, maxBatches: 2 });
    expect(first.audit_rows_deleted).toBe(10);
    expect(first.incomplete).toBe(true);
    // Oldest first: the three newest are what is left.
    const left = await env.DB.prepare("SELECT min(created_at) AS oldest FROM audit_log WHERE target = ?")
      .bind(tag)
      .first<{ oldest: number }>();
    expect(left?.oldest).toBe(now - 500 * DAY_MS + 10);
    const second = await enforceRetention(db, DEFAULTS, { now, batchSize: 5, maxBatches: 2 });
    expect(second.audit_rows_deleted).toBe(3);
    expect(second.incomplete).toBe(false);
    expect(await countRows("audit_log", "target = ?", tag)).toBe(0);
  });

  it("two runs at once delete each row once", async () => {
    const now = Date.now();
    const tag = crypto.randomUUID();
    await env.DB.batch(
      Array.from({ length: 30 }, (_, i) =>
        env.DB.prepare("INSERT INTO stripe_event (id, type, processed_at) VALUES (?, ?, ?)").bind(
          `evt_${tag}_${i}`,
          tag,
          now - 100 * DAY_MS - i,
        ),
      ),
    );
    const options = { now, batchSize: 3, maxBatches: 100 };
    const [first, second] = await Promise.all([
      enforceRetention(db, DEFAULTS, options),
      enforceRetention(db, DEFAULTS, options),
    ]);
    expect(first.stripe_events_deleted + second.stripe_events_deleted).toBe(30);
    expect(await countRows("stripe_event", "type = ?", tag)).toBe(0);
  });
});

describe("retention settings", () => {
  it("default to 400/400/90/30/30/7 days", () => {
    expect(readRetentionConfig({ ...env, ENVIRONMENT: "prod" })).toEqual({ config: DEFAULTS });
  });

  it("name each setting at fault, and refuse a usage window the 365-day reports would reach into", () => {
    expect(
      readRetentionConfig({
        ...env,
        USAGE_LOG_RETENTION_DAYS: "366",
        STRIPE_EVENT_RETENTION_DAYS: "2",
        AUDIT_LOG_RETENTION_DAYS: "ten",
        EMAIL_TOKEN_RETENTION_DAYS: "14",
      }),
    ).toEqual({ problems: ["USAGE_LOG_RETENTION_DAYS", "AUDIT_LOG_RETENTION_DAYS", "STRIPE_EVENT_RETENTION_DAYS"] });
  });

  it("SEC-51 refuses a stripe_event window shorter than 30 days: an event id Stripe may still retry (3 days) is never forgotten", () => {
    for (const days of ["0", "3", "29"]) {
      expect(readRetentionConfig({ ...env, STRIPE_EVENT_RETENTION_DAYS: days })).toEqual({
        problems: ["STRIPE_EVENT_RETENTION_DAYS"],
      });
    }
    expect(readRetentionConfig({ ...env, STRIPE_EVENT_RETENTION_DAYS: "30" })).toMatchObject({
      config: { stripeEventDays: 30 },
    });
  });

  it("a wrong setting skips retention (logged) while the rest of the maintenance job runs", async () => {
    const response = await createClient({ origin: null, env: { AUDIT_LOG_RETENTION_DAYS: "0" } }).post(
      "/cron/run",
      undefined,
      { headers: { authorization: `Bearer ${env.CRON_SECRET}` } },
    );
    expect(response.status).toBe(200);
    expect(await response.json()).toMatchObject({ prune: { incomplete: false }, retention: null });
  });
});
